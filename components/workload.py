"""The shared hardened workload base: security contexts, resources, probes, writable paths.

Every Plate workload's pod spec and containers are built here, so the hardening is written
once. ``Hardening`` is the only knob; which environment gets which hardening is decided in
``envs/``, never here.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from components.types import Resources

if TYPE_CHECKING:
    from components.k8s.api import (
        Affinity,
        Capabilities,
        EnvFromSource,
        EnvVar,
        ObjectMeta,
        PodSecurityContext,
        PodSpec,
        PodTemplateSpec,
        ResourceRequirements,
        SecurityContext,
        Toleration,
        TopologySpreadConstraint,
        Volume,
        VolumeMount,
    )
    from components.k8s.api import (
        Container as ContainerSpec,
    )
    from components.k8s.api import (
        Probe as ProbeSpec,
    )


class Hardening(BaseModel):
    """How strictly containers are locked down.

    Always on: runAsNonRoot, no privilege escalation, all capabilities dropped, seccomp
    RuntimeDefault, no service-account token unless asked for. These satisfy the Pod Security
    ``restricted`` level in every profile.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    read_only_root_filesystem: bool = True  # default: hardened
    cpu_limits: bool = True  # default: hardened; memory limits are always set


HARDENED = Hardening()


@dataclass(frozen=True)
class Probe:
    """An HTTP or TCP probe on a named container port, or an exec command."""

    path: str | None = None
    port: str | int = "http"
    scheme: Literal["HTTP", "HTTPS"] = "HTTP"
    command: tuple[str, ...] = ()
    initial_delay: int = 5
    period: int = 10
    timeout: int = 3
    failure_threshold: int = 3

    def render(self) -> ProbeSpec:
        probe: ProbeSpec
        if self.command:
            probe = {"exec": {"command": list(self.command)}}
        elif self.path is not None:
            probe = {"httpGet": {"path": self.path, "port": self.port}}
            if self.scheme != "HTTP":
                probe["httpGet"]["scheme"] = self.scheme
        else:
            probe = {"tcpSocket": {"port": self.port}}
        probe["initialDelaySeconds"] = self.initial_delay
        probe["periodSeconds"] = self.period
        probe["timeoutSeconds"] = self.timeout
        probe["failureThreshold"] = self.failure_threshold
        return probe


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    resources: Resources
    liveness: Probe | None  # None: no probe (a worker with no endpoint to ask)
    readiness: Probe | None
    ports: dict[str, int] = field(default_factory=dict[str, int])  # name -> containerPort
    command: tuple[str, ...] = ()  # default: the image's entrypoint
    args: tuple[str, ...] = ()
    env: tuple[EnvVar, ...] = ()
    env_from: tuple[EnvFromSource, ...] = ()
    writable_paths: tuple[str, ...] = ()  # each gets its own emptyDir
    mounts: tuple[VolumeMount, ...] = ()
    run_as_user: int | None = None  # when the image's user differs from the pod's (0: root, see Fluentd)
    extra_limits: tuple[tuple[str, str], ...] = ()  # e.g. (("nvidia.com/gpu", "1"),)


def volume_name(path: str) -> str:
    """A stable emptyDir volume name for a writable path: /var/cache/nginx -> tmp-var-cache-nginx."""
    slug = re.sub(r"[^a-z0-9]+", "-", posixpath.normpath(path).lower()).strip("-")
    return f"tmp-{slug}"[:63].rstrip("-")


def _scratch_mount(path: str) -> VolumeMount:
    return {"name": volume_name(path), "mountPath": path}


def _scratch_volume(path: str) -> Volume:
    return {"name": volume_name(path), "emptyDir": {}}


def resources(res: Resources, hardening: Hardening,
              extra_limits: tuple[tuple[str, str], ...] = ()) -> ResourceRequirements:
    requests: dict[str, str | int | float] = {
        k: v for k, v in (("cpu", res.requests.cpu), ("memory", res.requests.memory)) if v}
    limits: dict[str, str | int | float] = {}
    cpu = res.limits.cpu or res.requests.cpu
    if hardening.cpu_limits and cpu:
        limits["cpu"] = cpu
    memory = res.limits.memory or res.requests.memory
    if memory:
        limits["memory"] = memory
    for name, value in extra_limits:
        requests[name] = value
        limits[name] = value
    return {"requests": requests, "limits": limits}


def seccomp() -> PodSecurityContext:
    """The runtime's default seccomp profile alone: for a chart's pod context that the chart completes
    (MetalLB's, node-exporter's), or a container's next to ``no_privileges``."""
    return {"seccompProfile": {"type": "RuntimeDefault"}}


def no_privileges() -> SecurityContext:
    """No privilege escalation, every capability dropped: the part of ``container_security`` a chart's
    container takes when it must keep the rest of its context (a root or host-level agent)."""
    return {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def pod_security_context() -> PodSecurityContext:
    """The pod-level context of a pod we do not template ourselves (a chart's, Envoy Gateway's proxies):
    non-root, RuntimeDefault seccomp; the image keeps its own user."""
    return {"runAsNonRoot": True, **seccomp()}


def run_as(user: int, group: int, fs_group: int | None = None) -> PodSecurityContext:
    """The pod-level context of a pod with a fixed user: ours (``pod_template``), or a chart's that takes a
    whole context (Jenkins')."""
    ctx: PodSecurityContext = {"runAsNonRoot": user != 0, "runAsUser": user, "runAsGroup": group, **seccomp()}
    if fs_group is not None:
        ctx["fsGroup"] = fs_group
    return ctx


def container_security(hardening: Hardening, run_as_user: int | None = None) -> SecurityContext:
    drop: Capabilities = {"drop": ["ALL"]}
    ctx: SecurityContext = {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": hardening.read_only_root_filesystem,
        # uid 0 only where a component must read root-owned host files (Fluentd); see its module
        "runAsNonRoot": run_as_user != 0,
        "capabilities": drop,
    }
    if run_as_user is not None:
        ctx["runAsUser"] = run_as_user
    return ctx


def container(c: Container, hardening: Hardening) -> ContainerSpec:
    out: ContainerSpec = {"name": c.name, "image": c.image, "imagePullPolicy": "IfNotPresent"}
    if c.command:
        out["command"] = list(c.command)
    if c.args:
        out["args"] = list(c.args)
    if c.ports:
        out["ports"] = [{"name": n, "containerPort": p, "protocol": "TCP"} for n, p in c.ports.items()]
    if c.env_from:
        out["envFrom"] = list(c.env_from)
    if c.env:
        out["env"] = list(c.env)
    out["resources"] = resources(c.resources, hardening, c.extra_limits)
    if c.liveness is not None:
        out["livenessProbe"] = c.liveness.render()
    if c.readiness is not None:
        out["readinessProbe"] = c.readiness.render()
    out["securityContext"] = container_security(hardening, c.run_as_user)
    mounts = [*map(_scratch_mount, c.writable_paths), *c.mounts]
    if mounts:
        out["volumeMounts"] = mounts
    return out


@dataclass(frozen=True)
class PodOptions:
    service_account: str
    run_as_user: int = 10001
    run_as_group: int = 10001
    fs_group: int | None = None
    automount_token: bool = False
    image_pull_secrets: tuple[str, ...] = ()
    node_selector: dict[str, str] = field(default_factory=dict[str, str])
    tolerations: tuple[Toleration, ...] = ()
    volumes: tuple[Volume, ...] = ()
    termination_grace: int = 30
    spread: dict[str, str] | None = None  # selector labels: spread the replicas over nodes (and zones)
    affinity: Affinity | None = None


def spread_constraints(selector_labels: dict[str, str]) -> list[TopologySpreadConstraint]:
    """Replicas on different nodes (required: one node's loss never takes them all), and on different
    zones where nodes carry the zone label (preferred: clusters without zones still schedule)."""
    return [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule",
             "labelSelector": {"matchLabels": dict(selector_labels)}},
            {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": {"matchLabels": dict(selector_labels)}}]


def pod_template(lbls: dict[str, str], annotations: dict[str, str], containers: list[Container], opts: PodOptions,
                 hardening: Hardening) -> PodTemplateSpec:
    """A pod template with the hardened pod-level context and emptyDirs for writable paths."""
    security = run_as(opts.run_as_user, opts.run_as_group, opts.fs_group)
    writable = sorted({p for c in containers for p in c.writable_paths})
    spec: PodSpec = {
        "serviceAccountName": opts.service_account,
        "automountServiceAccountToken": opts.automount_token,
        "securityContext": security,
        "imagePullSecrets": [{"name": n} for n in opts.image_pull_secrets],
        "nodeSelector": dict(opts.node_selector),
        "tolerations": list(opts.tolerations),
        "topologySpreadConstraints": spread_constraints(opts.spread) if opts.spread else [],
        "terminationGracePeriodSeconds": opts.termination_grace,
        "containers": [container(c, hardening) for c in containers],
        "volumes": [*map(_scratch_volume, writable), *opts.volumes],
    }
    # the optional fields that are empty are left out (the order of the rest is the output's)
    if not opts.image_pull_secrets:
        del spec["imagePullSecrets"]
    if not opts.node_selector:
        del spec["nodeSelector"]
    if not opts.tolerations:
        del spec["tolerations"]
    if not opts.spread:
        del spec["topologySpreadConstraints"]
    if not spec["volumes"]:
        del spec["volumes"]
    if opts.affinity:
        spec["affinity"] = opts.affinity
    template_md: ObjectMeta = {"labels": dict(lbls)}
    if annotations:
        template_md["annotations"] = dict(annotations)
    return {"metadata": template_md, "spec": spec}
