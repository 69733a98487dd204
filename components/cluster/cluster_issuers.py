"""Let's Encrypt ClusterIssuers (staging and production ACME v2), HTTP-01 through the ingress class,
with an optional DNS-01 solver for listed zones whose API token comes from OpenBao."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from components import kinds
from components.core import Component, labels, metadata
from components.secrets import RemoteValue, SecretStoreRef, external_secret

# name -> ACME v2 directory. Every environment gets both; each picks one for its Ingresses.
ISSUERS: dict[str, str] = {
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "letsencrypt-prod": "https://acme-v02.api.letsencrypt.org/directory",
}
PRODUCTION_ISSUER = "letsencrypt-prod"
DNS01_SECRET = "acme-dns01-api-token"


class Dns01Props(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    provider: str  # "cloudflare"
    dns_zones: tuple[str, ...]
    api_token_path: str  # KV entry with an ``api-token`` property
    secret_store: SecretStoreRef


class ClusterIssuersProps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    email: str  # required, no default: ACME account contact
    ingress_class: str  # required: HTTP-01 challenges are served through this class
    namespace: str = "cert-manager"  # cert-manager's cluster resource namespace (DNS-01 token lives here)
    dns01: Dns01Props | None = None  # default: HTTP-01 only


class ClusterIssuers(Component):
    layer = "cluster-services"
    rank = 1  # after cert-manager, which installs the ClusterIssuer CRD

    def __init__(self, scope, props: ClusterIssuersProps):
        super().__init__(scope, "cluster-issuers", props.namespace, namespace_rendered=False)
        self.props = p = props
        lbls = labels("cluster-issuers", "certificate-issuer")
        if p.dns01:
            self.add(external_secret(DNS01_SECRET, p.namespace, lbls, p.dns01.secret_store,
                                     values=(RemoteValue("api-token", p.dns01.api_token_path, "api-token"),)))
        for name, server in ISSUERS.items():
            solvers = []
            if p.dns01:
                solvers.append({
                    "selector": {"dnsZones": list(p.dns01.dns_zones)},
                    "dns01": {p.dns01.provider: {"apiTokenSecretRef": {"name": DNS01_SECRET, "key": "api-token"}}},
                })
            solvers.append({"http01": {"ingress": {"ingressClassName": p.ingress_class}}})
            self.add({
                **kinds.head(kinds.custom("ClusterIssuer")),
                "metadata": metadata(name, None, lbls),
                "spec": {"acme": {
                    "server": server,
                    "email": p.email,
                    # cert-manager generates and keeps the ACME account key in this Secret.
                    "privateKeySecretRef": {"name": f"{name}-account-key"},
                    "solvers": solvers,
                }},
            })
