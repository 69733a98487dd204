"""plate-llm: the LLM service. Larger resources, optional GPU, node selector, tolerations and a
size-limited emptyDir for the model cache."""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated, cast

from pydantic import Field

from components.plate.service import PlateService, PlateServiceProps, PlateServiceSettings
from components.types import ExtendedResource, NodeSelector, Size, Toleration
from components.workload import Container, PodOptions, Probe

if TYPE_CHECKING:
    from components.k8s.api import Toleration as TolerationSpec


class PlateLlmSettings(PlateServiceSettings):
    """What an environment may change of the LLM service."""

    gpu_count: Annotated[int, Field(ge=0, le=16)] = 0  # default: CPU only
    gpu_resource: ExtendedResource = "nvidia.com/gpu"
    node_selector: NodeSelector = {}
    tolerations: list[Toleration] = []
    model_cache_size: Size = "20Gi"


class PlateLlmProps(PlateServiceProps, PlateLlmSettings):
    name: str = "plate-llm"
    role: str = "llm"
    metrics: tuple[str, ...] = ("http_requests_total", "http_request_duration_seconds_bucket")
    model_cache_path: str = "/models"
    # A GPU is scarce: replace pods one at a time instead of surging a second GPU pod.
    max_surge: str | int = 0
    max_unavailable: str | int = 1


class PlateLlm(PlateService):
    rank = 2
    audience = "operators"  # a model endpoint costs money per call: never anonymous
    Props = PlateLlmProps

    def container(self) -> Container:
        p = cast(PlateLlmProps, self.props)  # this class's Props
        base = super().container()
        extra = ((p.gpu_resource, str(p.gpu_count)),) if p.gpu_count else ()
        return dataclasses.replace(
            base,
            # Loading a model takes minutes: be patient before declaring the process dead.
            liveness=Probe(path=p.liveness_path, initial_delay=60, period=20, failure_threshold=6),
            readiness=Probe(path=p.readiness_path, initial_delay=30, period=10),
            mounts=({"name": "model-cache", "mountPath": p.model_cache_path},),
            extra_limits=extra,
        )

    def pod_options(self) -> PodOptions:
        p = cast(PlateLlmProps, self.props)
        # the settings' Toleration has the Kubernetes field names (its own schema checked them)
        tolerations = tuple(cast("TolerationSpec", t.model_dump(exclude_none=True)) for t in p.tolerations)
        return dataclasses.replace(
            super().pod_options(),
            node_selector=p.node_selector,
            tolerations=tolerations,
            volumes=({"name": "model-cache", "emptyDir": {"sizeLimit": p.model_cache_size}},),
            termination_grace=60,
        )
