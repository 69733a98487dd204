"""Let's Encrypt ClusterIssuers (staging and production ACME v2), HTTP-01 through the Gateway,
with an optional DNS-01 solver for listed zones, plus the platform's internal CA issuer.

The DNS-01 API token Secret is produced by an ExternalSecret in the tools layer (see
components/tools/credentials.py): OpenBao, its source, comes up after this layer.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from constructs import Construct
from pydantic import Field

from components.cluster.acme import ISSUERS
from components.cluster.acme import PRODUCTION_ISSUER as PRODUCTION_ISSUER  # re-exported
from components.core import Component, labels, metadata
from components.routing import GATEWAY_GROUP, GatewayRef
from components.types import PROPS_CONFIG, Email, Hostname, KvPath, Strict

if TYPE_CHECKING:
    from components.k8s.crds import ClusterIssuerSpecAcmeSolvers

DNS01_SECRET = "acme-dns01-api-token"
# Signs certificates for cluster-internal names (OpenBao's listener), which ACME cannot validate.
INTERNAL_ISSUER = "platform-internal"
INTERNAL_CA_SECRET = "platform-internal-ca"


class Dns01(Strict):
    provider: Literal["cloudflare"]
    dns_zones: Annotated[list[Hostname], Field(min_length=1)]
    api_token_path: KvPath  # OpenBao KV entry with an ``api-token`` property


class ClusterIssuersSettings(Strict):
    """What a cluster may change."""

    acme_email: Email  # required, no default: Let's Encrypt sends expiry notices here
    dns01: Dns01 | None = None  # default: HTTP-01 only


class ClusterIssuersProps(ClusterIssuersSettings):
    model_config = PROPS_CONFIG

    gateway: GatewayRef  # required: HTTP-01 challenges are answered through its plain-HTTP listener
    namespace: str = "cert-manager"  # cert-manager's cluster resource namespace (DNS-01 token lives here)


class ClusterIssuers(Component):
    layer = "cluster-services"
    rank = 2  # after cert-manager, which installs the ClusterIssuer CRD

    def __init__(self, scope: Construct, props: ClusterIssuersProps):
        super().__init__(scope, "cluster-issuers", props.namespace, pod_security=None)
        self.props = p = props
        lbls = labels("cluster-issuers", "certificate-issuer")
        for name, server in ISSUERS.items():
            solvers: list[ClusterIssuerSpecAcmeSolvers] = []
            if p.dns01:
                solvers.append({
                    "selector": {"dnsZones": list(p.dns01.dns_zones)},
                    "dns01": {p.dns01.provider: {"apiTokenSecretRef": {"name": DNS01_SECRET, "key": "api-token"}}},
                })
            solvers.append({"http01": {"gatewayHTTPRoute": {"parentRefs": [{
                "group": GATEWAY_GROUP, "kind": "Gateway", "name": p.gateway.name, "namespace": p.gateway.namespace,
                "sectionName": "http"}]}}})
            self.add({
                "apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
                "metadata": metadata(name, None, lbls),
                "spec": {"acme": {
                    "server": server,
                    "email": p.acme_email,
                    # cert-manager generates and keeps the ACME account key in this Secret.
                    "privateKeySecretRef": {"name": f"{name}-account-key"},
                    "solvers": solvers,
                }},
            })
        self.internal_ca(lbls)

    def internal_ca(self, lbls: dict[str, str]) -> None:
        """A self-signed root, kept in cert-manager's namespace, and the CA issuer built on it."""
        p = self.props
        self.add({"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
                  "metadata": metadata("selfsigned", None, lbls),
                  "spec": {"selfSigned": {}}})
        self.add({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
                  "metadata": metadata(INTERNAL_CA_SECRET, p.namespace, lbls),
                  "spec": {
                      "isCA": True,
                      "commonName": "Plate platform internal CA",
                      "secretName": INTERNAL_CA_SECRET,
                      "duration": "87600h",
                      "renewBefore": "720h",
                      "privateKey": {"algorithm": "ECDSA", "size": 256},
                      "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "selfsigned"},
                  }})
        self.add({"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
                  "metadata": metadata(INTERNAL_ISSUER, None, lbls),
                  "spec": {"ca": {"secretName": INTERNAL_CA_SECRET}}})
