"""The sections of a cluster's settings that two components share, assembled from what each declares.

Every component module declares the settings a cluster or an environment may change of it (its
``...Settings`` class, the one schema for them); its props extend them with what composition wires
in. Where one section of the configuration feeds two components (``cert_manager``: the chart and
the issuers), the section is both components' settings together. Nothing here restates a field.
"""
from __future__ import annotations

from components.cluster.cert_manager import CertManagerSettings
from components.cluster.cluster_issuers import ClusterIssuersSettings
from components.cluster.external_secrets import ExternalSecretsSettings
from components.cluster.metallb import MetalLBSettings
from components.cluster.metallb_pools import MetalLBPoolsSettings
from components.tools.secret_stores import SecretStoresSettings
from components.types import Duration, KvPath


class CertManager(CertManagerSettings, ClusterIssuersSettings):
    """``cert_manager``: the chart (resources, replicas) and the ClusterIssuers (contact, DNS-01)."""


class MetalLB(MetalLBSettings, MetalLBPoolsSettings):
    """``metallb``: the chart (resources) and the address pools."""


class Secrets(ExternalSecretsSettings, SecretStoresSettings):
    """``secrets``: the operator, the stores, and where the platform's own secrets live."""

    path_prefix: KvPath  # every KV path of the platform's tools lies under it
    refresh_interval: Duration
