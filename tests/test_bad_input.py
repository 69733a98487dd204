"""Bad input stops the render with one message naming the environment or cluster, the component and
the field, exits non-zero through the real entry point, and leaves the previous dist/ byte-for-byte
intact. Valid look-alikes of bad input are accepted."""
from __future__ import annotations

import copy
import shutil

import pytest

import envs
from envs import ConfigError
from platectl import render
from tests.helpers import KNOWN_ENVIRONMENTS, read_tree


def E(env: str, component: str, field: str, problem: str) -> str:  # noqa: N802
    return f"environment {env!r}, component {component!r}, field {field!r}: {problem}"


def C(cluster: str, component: str, field: str, problem: str) -> str:  # noqa: N802
    return f"cluster {cluster!r}, component {component!r}, field {field!r}: {problem}"


def patched(overlay: dict, changes: dict) -> dict:
    """``overlay`` with dotted-path changes (None removes the key, as in a real overlay)."""
    out = copy.deepcopy(overlay)
    for path, value in changes.items():
        node = out
        *parents, last = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return out


PINNED = "production images must be pinned to an explicit tag or digest"
QUANTITY = "is not a Kubernetes quantity (for example '250m', '512Mi', '2')"
PROD = "it hosts production"
ENV_CASES = [
    # images, replicas, quantities
    ("production", {"services.web.image.tag": "latest"}, E("production", "plate-web", "image.tag", f"{PINNED} (got 'latest')")),
    ("production", {"services.server.image.tag": None}, E("production", "plate-server", "image.tag", f"{PINNED} (got untagged)")),
    ("production", {"services.cache.exporter_image.tag": "latest"},
     E("production", "plate-cache", "exporter_image.tag", f"{PINNED} (got 'latest')")),
    ("production", {"services.web.image.digest": "sha256:abc"},
     E("production", "plate-web", "image", "digest 'sha256:abc' is not a sha256 digest")),
    ("staging", {"services.web.replicas": -1},
     E("staging", "plate-web", "replicas", "Input should be greater than or equal to 0 (got -1)")),
    ("staging", {"services.web.replicas": 500},
     E("staging", "plate-web", "replicas", "Input should be less than or equal to 100 (got 500)")),
    ("staging", {"services.web.replica": 2}, E("staging", "plate-web", "replica", "unknown key")),
    # a credential written into config would be a ConfigMap in Git: refused, with where it belongs
    ("staging", {"services.web.config": {"LOG_LEVEL": "info", "STRIPE_API_KEY": "sk_live_1234"}},
     E("staging", "plate-web", "config", "STRIPE_API_KEY looks like a credential with a literal value: a ConfigMap "
                                         "is readable by anyone who can read the namespace and sits in Git; put it "
                                         "in OpenBao under the service's secrets_path (its ExternalSecret brings it "
                                         "in as the same variable)")),  # and never the value itself
    ("staging", {"services.server.replicas": "2"},
     E("staging", "plate-server", "replicas", "Input should be a valid integer (got '2')")),
    ("staging", {"services.llm.resources.requests.memory": "lots"},
     E("staging", "plate-llm", "resources.requests.memory", f"'lots' {QUANTITY}")),
    ("staging", {"services.web.resources.requests.cpu": "2"},
     E("staging", "plate-web", "resources", "requests.cpu (2) is above limits.cpu (500m)")),
    ("staging", {"services.cache.max_memory": "1gb"},
     E("staging", "plate-cache", "(all)", "max_memory (1gb) is above the container's memory limit (512Mi)")),
    ("staging", {"services.cache.storage_size": "0"},
     E("staging", "plate-cache", "storage_size", "'0' is not a usable size (it must be above zero)")),
    ("staging", {"services.llm.model_cache_size": "0Gi"},
     E("staging", "plate-llm", "model_cache_size", "'0Gi' is not a usable size (it must be above zero)")),
    ("staging", {"services.web.autoscaling": {"min_replicas": 4, "max_replicas": 2}},
     E("staging", "plate-web", "autoscaling", "max_replicas (2) must be at least min_replicas (4)")),
    ("staging", {"services.admin.disruption_budget_min_available": 1},
     E("staging", "plate-admin", "(all)", "disruption_budget_min_available (1) must be below the replica count (1), "
                                          "or no pod could ever be evicted")),
    ("production", {"services.web.autoscaling": None, "services.web.disruption_budget_min_available": None,
                    "services.web.replicas": 1},
     E("production", "plate-web", "replicas", "production runs at least 2 replicas (got 1)")),
    ("production", {"services.server.autoscaling.min_replicas": 1, "services.server.disruption_budget_min_available": None},
     E("production", "plate-server", "autoscaling.min_replicas", "production runs at least 2 replicas (got 1)")),
    ("production", {"services.admin.replicas": 1, "services.admin.disruption_budget_min_available": None},
     E("production", "plate-admin", "replicas", "production runs every service on at least 2 replicas, spread over "
                                                "nodes (got 1); or say why in single_replica_reason")),
    ("production", {"services.cache.single_replica_reason": None},
     E("production", "plate-cache", "single_replica_reason", "production runs every service on at least 2 replicas, "
                                                             "spread over nodes (got 1); or say why in single_replica_reason")),
    ("staging", {"services.web.kind": "static"},
     E("staging", "plate-web", "(all)", "Input tag 'static' found using 'kind' does not match any of the expected tags: "
                                        "'web', 'admin', 'server', 'llm', 'worker', 'cache'")),
    # what Kubernetes would refuse
    ("staging", {"services.web.config": {"1BAD": "x"}},
     E("staging", "plate-web", "config", "'1BAD' is not a valid environment variable name (letters, digits, '_', "
                                         "not a digit first)")),
    ("staging", {"services.llm.node_selector": {"bad key": "gpu"}},
     E("staging", "plate-llm", "node_selector", "'bad key' is not a valid label key ([prefix/]name, name at most 63 "
                                                "characters)")),
    ("staging", {"services.llm.tolerations": [{"key": "gpu", "operator": "Sometimes"}]},
     E("staging", "plate-llm", "tolerations.0.operator", "Input should be 'Equal' or 'Exists' (got 'Sometimes')")),
    ("staging", {"services.llm.gpu_resource": "gpu"},
     E("staging", "plate-llm", "gpu_resource", "'gpu' is not a valid extended resource name (a domain-prefixed name "
                                               "such as 'nvidia.com/gpu')")),
    ("staging", {"services.server.egress_cidrs": ["10.0.0.1/8"]},
     E("staging", "plate-server", "egress_cidrs.0", "'10.0.0.1/8' is not an IPv4 CIDR (10.0.0.1/8 has host bits set)")),
    # hosts and namespaces
    ("staging", {"routes.app.host": "app_stg.cocdev.co.kr"},
     E("staging", "plate-routes", "routes.app.host", "'app_stg.cocdev.co.kr' is not a valid DNS hostname")),
    ("staging", {"routes.llm.host": "cocdev.co.kr"},
     E("staging", "plate-routes", "routes.llm.host", "host 'cocdev.co.kr' is already claimed by environment "
                                                      "'production' on cluster 'shared'")),
    ("production", {"host": "argocd.cocdev.co.kr"},
     E("production", "plate-routes", "routes.app.host", "host 'argocd.cocdev.co.kr' is already claimed by the "
                                                         "cluster's argocd on cluster 'shared'")),
    ("staging", {"namespace": "monitoring"},
     E("staging", "plate-namespace", "namespace", "'monitoring' is a namespace of the platform; an environment needs "
                                                  "its own")),
    ("staging", {"namespace": "kube-system"},
     E("staging", "plate-namespace", "namespace", "'kube-system' is a namespace of the platform; an environment needs "
                                                  "its own")),
    ("staging", {"namespace": "plate-prod"},
     E("staging", "plate-namespace", "namespace", "'plate-prod' is already environment 'production''s namespace on "
                                                  "cluster 'shared'")),
    # configured but not rendered, rendered but not configured
    ("production", {"routes.llm": {"paths": {"/": "llm"}}},
     E("production", "plate-routes", "routes.llm.paths./", "no service 'llm' in this environment (services: admin, "
                                                            "cache, server, web)")),
    ("production", {"services.server.uses": ["cache", "llm"]},
     E("production", "plate-server", "uses", "uses 'llm', which this environment does not run (services: admin, cache, "
                                             "server, web)")),
    ("staging", {"services.indexer": {"kind": "worker", "image": {"repository": "indexer", "tag": "1"}, "replicas": 1,
                                      "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}}},
                 "routes.app.paths": {"/": "web", "/index": "indexer"}},
     E("staging", "plate-routes", "routes.app.paths./index", "service 'indexer' is a worker and serves no HTTP")),
    ("staging", {"gitops.prune": {"plate-wbe": False}},
     E("staging", "app-of-apps", "gitops.prune.plate-wbe", "no such component (did you mean 'plate-web'?)")),
    ("staging", {"cluster": "other"}, E("staging", "environment", "cluster", "no cluster 'other'; known: shared")),
    ("staging", {"extends": "nowhere"}, E("staging", "environment", "extends",
                                          f"unknown environment 'nowhere'; known: {KNOWN_ENVIRONMENTS}")),
    # secrets, registry, tiers
    ("staging", {"services.web.secrets_path": "plate/production/web"},
     E("staging", "plate-web", "secrets_path", "'plate/production/web' is outside this environment's KV prefix "
                                               "'plate/staging'")),
    ("staging", {"services.admin.secrets_path": "/plate//admin"},
     E("staging", "plate-admin", "secrets_path", "'/plate//admin' is not an OpenBao KV path (lower-case segments "
                                                 "separated by '/', no leading or trailing '/')")),
    ("staging", {"secrets.registry_pull_path": "registry"},
     E("staging", "plate-namespace", "secrets.registry_pull_path", "'registry' is outside this environment's KV prefix "
                                                                   "'plate/staging'")),
    ("staging", {"secrets.refresh_interval": "soon"},
     E("staging", "plate-namespace", "secrets.refresh_interval", "'soon' is not a duration (for example '30s', '1h', "
                                                                 "'1h30m')")),
    ("staging", {"services.web.image": {"registry": "harbor.cocdev.co.kr", "repository": "production/web", "tag": "1"}},
     E("staging", "plate-web", "image.repository", "'production/web' is not in this environment's registry project "
                                                   "'staging' on harbor.cocdev.co.kr")),
    ("staging", {"tier": "prod"}, E("staging", "environment", "tier", "Input should be 'staging' or 'production' (got 'prod')")),
    ("production", {"ingress.tls": False}, E("production", "plate-routes", "ingress.tls", "production must serve every "
                                                                                          "host over TLS")),
    ("production", {"security_profile": "standard"},
     E("production", "plate-namespace", "security_profile", "production must use the 'hardened' profile (got 'standard')")),
    ("staging", {"ingress.cluster_issuer": "letsencrypt"},
     E("staging", "plate-routes", "ingress.cluster_issuer", "unknown ClusterIssuer 'letsencrypt'; rendered: "
                                                             "letsencrypt-staging, letsencrypt-prod")),
    ("production", {"ingress.cluster_issuer": "letsencrypt-staging"},
     E("production", "plate-routes", "ingress.cluster_issuer", "production certificates come from 'letsencrypt-prod' "
                                                                "(got 'letsencrypt-staging', browsers do not trust it)")),
    ("staging", {"alerts.error_ratio": 1.5},
     E("staging", "alert-rules", "alerts.error_ratio", "Input should be less than 1 (got 1.5)")),
    ("staging", {"alerts.availability_severity": "page"},
     E("staging", "alert-rules", "alerts.availability_severity", "Input should be 'critical', 'warning' or 'info' (got "
                                                                 "'page')")),
    # configuration mistakes that would reach the cluster (issue 22's classes)
    ("staging", {"secrets.path_prefix": "plate/production/stg"},
     E("staging", "secrets", "secrets.path_prefix", "'plate/production/stg' lies inside the prefix 'plate/production' "
       "of environment 'production' on cluster 'shared': its policy would read that environment's secrets")),
    ("staging", {"routes.app.paths./metrics": "server"},
     E("staging", "plate-routes", "routes.app.paths./metrics", "publishes the metrics endpoint of service 'server' "
       "(/metrics): Prometheus scrapes it in-cluster, nobody outside should reach it")),
    ("staging", {"services.web.resources.requests.memory": "128m"},
     E("staging", "plate-web", "resources.requests.memory", "'128m' of memory cannot run a container ('m' is "
       "thousandths of a byte; write '128Mi', not '128m')")),
    ("staging", {"namespace": "kube-plate"},
     E("staging", "plate-namespace", "namespace", "'kube-plate': namespaces starting with 'kube-' are Kubernetes' own")),
    ("staging", {"host": "stg.example.org"},
     E("staging", "plate-routes", "host", "host 'stg.example.org' is not under the cluster's domain 'cocdev.co.kr' "
       "(nor its extra_domains: none)")),
    ("staging", {"services.a-service-key-long-enough-to-overflow-names": "copy of web"},
     E("staging", "plate-a-service-key-long-enough-to-overflow-names", "(all)", "the key is 43 characters: the names "
       "made from it (plate-a-servic...-headless) would pass Kubernetes' 63; use at most 40")),
    ("production", {"services.cache.single_replica_reason": "          "},
     E("production", "plate-cache", "single_replica_reason", "'          ' does not say why (a sentence a reviewer can "
       "judge, at least two words)")),
    ("staging", {"services.llm.tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "value": "true"}]},
     E("staging", "plate-llm", "tolerations.0", "operator Exists takes no value (got 'true'); use Equal to match a "
       "value")),
    ("staging", {"services.llm.tolerations": [{"key": "gpu node", "operator": "Exists"}]},
     E("staging", "plate-llm", "tolerations.0", "key 'gpu node' is not a qualified name ([prefix/]name, name at most "
       "63 characters)")),
    ("staging", {"services.web.config": {"BIG": "x" * (1024 * 1024)}},
     E("staging", "plate-web", "(all)", "config is 1048579 bytes: the API server refuses a ConfigMap over 1 MiB "
       "(1048576 bytes); mount large files from a volume instead")),
    # the general rule: every name and label value made from the configuration is one Kubernetes accepts
    ("staging", {"services.web.image.tag": "1.5.0-" + "x" * 70},
     E("staging", "plate-web", "labels.app.kubernetes.io/version", "label value '1.5.0-" + "x" * 70 + "' of "
       "Deployment 'plate-web' is not one Kubernetes accepts (at most 63 letters, digits, '-', '_', '.')")),
    ("staging", {"services.web.image.tag": "bad tag!"},
     E("staging", "plate-web", "image", "tag 'bad tag!' is not a valid image tag")),
]

CLUSTER_CASES = [
    ({"metallb.pools": [{"name": "public", "addresses": ["10.20.97-10.20.0.140"]}]},
     C("shared", "metallb-pools", "metallb.pools.public.addresses", "pool 'public': '10.20.97' is not an IPv4 address")),
    ({"metallb.pools": [{"name": "public", "addresses": ["10.20.0.140-10.20.0.100"]}]},
     C("shared", "metallb-pools", "metallb.pools.public.addresses", "pool 'public': range '10.20.0.140-10.20.0.100' is "
                                                                    "reversed (first address after last)")),
    ({"metallb.pools": [{"name": "public", "addresses": ["10.20.0.100-10.20.0.140"]},
                        {"name": "extra", "addresses": ["10.20.0.128/29"]}]},
     C("shared", "metallb-pools", "metallb.pools.extra.addresses", "pool 'extra': '10.20.0.128/29' overlaps "
                                                                   "'10.20.0.100-10.20.0.140' of pool 'public'")),
    ({"metallb.pools": [{"name": "public", "addresses": ["10.20.0.100"]}]},
     C("shared", "metallb-pools", "metallb.pools.public.addresses", "pool 'public': '10.20.0.100' is neither a range "
                                                                    "'first-last' nor a CIDR")),
    ({"edge.load_balancer_ip": "192.168.60.1"},
     C("shared", "edge", "edge.load_balancer_ip", "192.168.60.1 is in no MetalLB pool (public, "
                                                                         "internal)")),
    ({"edge.proxy_replicas": 1000},
     C("shared", "edge", "edge.proxy_replicas", "Input should be less than or equal to 100 (got 1000)")),
    ({"cert_manager.acme_email": "ops@localhost"},
     C("shared", "cluster-issuers", "cert_manager.acme_email", "'ops@localhost' is not an e-mail address")),
    ({"cert_manager.acme_email": "ops@example.com"},
     C("shared", "cluster-issuers", "cert_manager.acme_email", "'ops@example.com' is in a reserved domain (RFC "
                                                               "2606/6761); Let's Encrypt refuses it: use a real mailbox")),
    ({"cert_manager.acme_email": "ops@plate.test"},
     C("shared", "cluster-issuers", "cert_manager.acme_email", "'ops@plate.test' is in a reserved domain (RFC "
                                                               "2606/6761); Let's Encrypt refuses it: use a real mailbox")),
    ({"cert_manager.acme_email": None}, C("shared", "cluster-issuers", "cert_manager.acme_email", "required, no default")),
    ({"nfs.server": "192.168.50"}, C("shared", "nfs-provisioner", "nfs.server", "'192.168.50' is not an IPv4 address")),
    ({"nfs.server": "nfs_server"},
     C("shared", "nfs-provisioner", "nfs.server", "'nfs_server' is neither an IPv4 address nor a DNS hostname")),
    ({"nfs.path": "/export/../etc"}, C("shared", "nfs-provisioner", "nfs.path", "'/export/../etc' must not contain '..'")),
    ({"nfs.path": "export/plate"},
     C("shared", "nfs-provisioner", "nfs.path", "String should match pattern '^/([A-Za-z0-9._-]+/?)*$' (got "
                                                "'export/plate')")),
    ({"storage_class": "local-path"},
     C("shared", "nfs-provisioner", "storage_class", "'local-path' is not provided by the platform (the NFS provisioner "
                                                     "provides 'nfs-client')")),
    ({"nfs.storage_class.reclaim_policy": "Recycle"},
     C("shared", "nfs-provisioner", "nfs.storage_class.reclaim_policy", "Input should be 'Delete' or 'Retain' (got "
                                                                        "'Recycle')")),
    ({"openbao.replicas": 2}, C("shared", "openbao", "openbao.replicas", "must suit raft: 1, 3 or 5 (got 2)")),
    ({"openbao.replicas": 1},
     C("shared", "openbao", "openbao.replicas", f"{PROD}: OpenBao runs on integrated raft storage with at least 3 "
                                                "replicas (got raft, 1)")),
    ({"openbao.storage": "file"},
     C("shared", "openbao", "openbao.storage", "OpenBao 2.7 removed the file storage backend: use raft (1 replica is "
                                               "fine); a running file-backed OpenBao moves with `bao operator migrate` "
                                               "(docs/operations.md)")),
    ({"openbao.seal": {"type": "transit"}},
     C("shared", "openbao", "openbao.seal", "Input tag 'transit' found using 'type' does not match any of the expected "
                                            "tags: 'shamir', 'awskms', 'gcpckms'")),
    ({"openbao.seal": {"type": "awskms", "region": "eu-west-1"}},
     C("shared", "openbao", "openbao.seal.awskms.plugin", "required, no default")),
    ({"openbao.data_size": "ten gigs"}, C("shared", "openbao", "openbao.data_size", f"'ten gigs' {QUANTITY}")),
    ({"openbao.data_size": "0"}, C("shared", "openbao", "openbao.data_size", "'0' is not a usable size (it must be "
                                                                             "above zero)")),
    ({"openbao.resources.requests.memory": "2Gi"},
     C("shared", "openbao", "openbao.resources", "requests.memory (2Gi) is above limits.memory (1Gi)")),
    ({"openbao.image.tag": "latest"}, C("shared", "openbao", "openbao.image.tag", f"{PINNED} (got 'latest')")),
    ({"grafana.image.tag": None}, C("shared", "grafana", "grafana.image.tag", f"{PINNED} (got untagged)")),
    ({"logging.image_tag": "latest"}, C("shared", "fluentd", "logging.image_tag", f"{PINNED} (got 'latest')")),
    ({"secrets.refresh_interval": "soon"},
     C("shared", "external-secrets", "secrets.refresh_interval", "'soon' is not a duration (for example '30s', '1h', "
                                                                 "'1h30m')")),
    ({"sso.connectors": []},
     C("shared", "dex", "sso.connectors", "List should have at least 1 item after validation, not 0")),
    ({"sso.connectors": [{"type": "saml", "client_id": "x", "credentials_path": "platform/dex/x"}]},
     C("shared", "dex", "sso.connectors.0", "Input tag 'saml' found using 'type' does not match any of the expected "
                                            "tags: 'github', 'oidc', 'ldap'")),
    ({"argocd.admin_groups": []},
     C("shared", "argo-cd", "argocd.admin_groups", "List should have at least 1 item after validation, not 0")),
    ({"harbor.external_database": None},
     C("shared", "harbor", "harbor", "database is 'external' but external_database is not set")),
    ({"harbor.external_redis": {"addr": "redis.cocdev.co.kr:6379"}},
     C("shared", "harbor", "harbor", "external_redis is set but redis is 'internal'")),
    ({"harbor.persistence.registry": "lots"}, C("shared", "harbor", "harbor.persistence.registry", f"'lots' {QUANTITY}")),
    ({"harbor.database": "internal", "harbor.external_database": None},
     C("shared", "harbor", "harbor.database", f"{PROD}: Harbor runs on an external database (the chart's internal one "
                                              "is a single pod without backups)")),
    ({"harbor.external_database.host": "pg_prod"},
     C("shared", "harbor", "harbor.external_database.host", "'pg_prod' is neither an IPv4 address nor a DNS hostname")),
    ({"dashboard.admin_groups": ["plate-platform:platform-admins"]},
     C("shared", "headlamp", "dashboard.admin_groups", "unknown key")),
    ({"jenkins.admin_credentials_path": "ci/jenkins"},
     C("shared", "jenkins", "jenkins.admin_credentials_path", "'ci/jenkins' is outside the platform's KV prefix "
                                                              "'platform'")),
    ({"grafana.admin_credentials_path": "grafana"},
     C("shared", "grafana", "grafana.admin_credentials_path", "'grafana' is outside the platform's KV prefix "
                                                              "'platform'")),
    ({"logging.output": {"type": "splunk", "url": "https://splunk.test"}},
     C("shared", "fluentd", "logging.output", "Input tag 'splunk' found using 'type' does not match any of the expected "
                                              "tags: 'elasticsearch', 'opensearch', 'loki', 'forward'")),
    ({"logging.output": {"type": "loki"}}, C("shared", "fluentd", "logging.output.loki.url", "required, no default")),
    ({"logging.output.host": None}, C("shared", "fluentd", "logging.output.opensearch.host", "required, no default")),
    ({"monitoring.retention": "forever"},
     C("shared", "kube-prometheus-stack", "monitoring.retention", "String should match pattern '^[0-9]+(h|d|w|y)$' "
                                                                  "(got 'forever')")),
    ({"hosts.openbao": "bao.example.org"},
     C("shared", "openbao", "hosts.openbao", "host 'bao.example.org' is not under the cluster's domain 'cocdev.co.kr'")),
    ({"hosts.grafana": "argocd.cocdev.co.kr"},
     C("shared", "grafana", "hosts.grafana", "host 'argocd.cocdev.co.kr' is already claimed by the cluster's argocd on "
                                             "this cluster")),
    ({"gitops.repo_url": "github.com/plate"},
     C("shared", "app-of-apps", "gitops.repo_url", "'github.com/plate' is not a Git URL (https://, ssh:// or git@host:path)")),
    ({"gitops.rendered_branch": "bad..name"},
     C("shared", "app-of-apps", "gitops.rendered_branch", "git refuses 'bad..name' as a branch: it contains '..', '@{' "
                                                          "or '//'")),
    ({"gitops.rendered_branch": "rendered.lock"},
     C("shared", "app-of-apps", "gitops.rendered_branch", "git refuses 'rendered.lock' as a branch: its component "
                                                          "'rendered.lock' starts with '.' or ends with '.lock'")),
    ({"gitops.prune": {"cert-manger": False}},
     C("shared", "app-of-apps", "gitops.prune.cert-manger", "no such component (did you mean 'cert-manager'?)")),
    ({"alerting.routes": [{"environment": "staging", "receiver": "oncall"}]},
     C("shared", "alert-routing", "alerting.routes", "critical alerts of environment 'staging' (staging) would page "
                                                     "through 'oncall': only production pages; route them elsewhere")),
    ({"alerting.default_receiver": "nobody"},
     C("shared", "alert-routing", "alerting", "default_receiver: no receiver 'nobody' (receivers: deadman, oncall, "
                                              "platform, production, staging)")),
    ({"gitops.signing_keys": []},
     C("shared", "app-of-apps", "gitops.signing_keys", f"{PROD}: the rendered branch is signed (Argo CD syncs only "
                                                      "commits signed by these keys)")),
    ({"gitops.signing_keys": ["0123456789ABCDEF0123456789ABCDEF01234567"]},
     C("shared", "argo-cd", "gitops.signing_keys", "no public key keys/0123456789ABCDEF0123456789ABCDEF01234567.asc "
                                                  "(export it: gpg --armor --export "
                                                  "0123456789ABCDEF0123456789ABCDEF01234567)")),
    ({"security_profile": "standard"},
     C("shared", "namespaces", "security_profile", f"{PROD}: the platform must use the 'hardened' profile (got "
                                                   "'standard')")),
    ({"ingress.cluster_issuer": "letsencrypt-staging"},
     C("shared", "edge", "ingress.cluster_issuer", f"{PROD}: certificates come from 'letsencrypt-prod' (got "
                                                            "'letsencrypt-staging')")),
    ({"alerting.routes": [{"environment": "nowhere", "receiver": "staging"}]},
     C("shared", "alert-routing", "alerting.routes.0.environment", "no environment 'nowhere' on this cluster (known: "
       f"{KNOWN_ENVIRONMENTS}): the route would never match")),
    ({"argocd.notifications.subscriptions": [{"environment": "stagign", "service": "slack", "recipients": ["x"]}]},
     C("shared", "argo-cd", "argocd.notifications.subscriptions.0.environment", "no environment 'stagign' on this "
       f"cluster (known: {KNOWN_ENVIRONMENTS}): nobody would ever be notified")),
    ({"sso.connectors": [{"type": "github", "client_id": "a", "org": "o", "credentials_path": "platform/dex/a"},
                         {"type": "github", "client_id": "b", "org": "p", "credentials_path": "platform/dex/b"}]},
     C("shared", "dex", "sso", "connectors: the id 'github' is given twice (Dex needs each connector's id unique: set "
       "id on one of them)")),
]


@pytest.fixture(scope="module")
def previous(tmp_path_factory, fresh_render):
    """A dist/ as a previous successful render left it."""
    out = tmp_path_factory.mktemp("previous") / "dist"
    shutil.copytree(fresh_render, out)
    return out


def _refused(previous, message):
    before = read_tree(previous)
    with pytest.raises(ConfigError) as caught:
        render.synth(previous)
    assert str(caught.value) == message
    assert read_tree(previous) == before
    assert not [p for p in previous.parent.iterdir() if p.name != "dist"], "temporary render left behind"


@pytest.mark.parametrize("env,changes,message", ENV_CASES, ids=[f"{c[0]}:{','.join(c[1])}" for c in ENV_CASES])
def test_bad_environment_is_one_message_and_dist_untouched(previous, monkeypatch, env, changes, message):
    changes = {k: (copy.deepcopy(envs.raw(env)["services"]["web"]) if v == "copy of web" else v)
               for k, v in changes.items()}
    monkeypatch.setitem(envs.OVERLAYS, env, patched(envs.OVERLAYS[env], changes))
    _refused(previous, message)


@pytest.mark.parametrize("changes,message", CLUSTER_CASES, ids=[",".join(c[0]) for c in CLUSTER_CASES])
def test_bad_cluster_is_one_message_and_dist_untouched(previous, monkeypatch, changes, message):
    monkeypatch.setitem(envs.CLUSTERS, "shared", patched(envs.CLUSTERS["shared"], changes))
    _refused(previous, message)


def test_entry_point_exits_1_with_the_message_on_stderr(previous, monkeypatch, capsys):
    before = read_tree(previous)
    monkeypatch.setitem(envs.OVERLAYS, "production", patched(envs.OVERLAYS["production"],
                                                             {"services.web.image.tag": "latest"}))
    monkeypatch.setenv("PLATE_DIST", str(previous))
    assert render.main([]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "error: " + ENV_CASES[0][2],
        f"nothing written: {previous} is unchanged",
    ]
    assert read_tree(previous) == before


def test_valid_look_alikes_are_accepted(monkeypatch):
    monkeypatch.setitem(envs.OVERLAYS, "staging", patched(envs.OVERLAYS["staging"], {
        # a registry with a port, outside the cluster's Harbor
        "services.web.image": {"registry": "registry.example.org:5000", "repository": "plate/web", "tag": "1.5.0"},
        "ingress.max_body_size": "10M",  # nginx-style sizes take either case
    }))
    monkeypatch.setitem(envs.CLUSTERS, "shared", patched(envs.CLUSTERS["shared"], {
        "cert_manager.acme_email": "Platform@COCDEV.CO.KR"}))
    platform = envs.load_platform()
    assert platform.environments["staging"].services["web"].image.ref == "registry.example.org:5000/plate/web:1.5.0"
    # one service reached under two paths and two hosts (a host of one of the cluster's extra domains)
    monkeypatch.setitem(envs.OVERLAYS, "staging", patched(envs.OVERLAYS["staging"], {
        "routes.app.paths./v2": "server",
        "routes.other": {"host": "plate-stg.example.org", "paths": {"/": "web"}}}))
    monkeypatch.setitem(envs.CLUSTERS, "shared", patched(envs.CLUSTERS["shared"], {"extra_domains": ["example.org"]}))
    import tempfile
    from pathlib import Path

    from platectl import render
    out = Path(tempfile.mkdtemp()) / "dist"
    render.synth(out, names=["staging"], warn=lambda _: None)
    routes = sorted(p.name for p in (out / "environments" / "staging" / "plate-routes").glob("HTTPRoute.*"))
    assert routes == ["HTTPRoute.plate-admin.k8s.yaml", "HTTPRoute.plate-llm.k8s.yaml",
                      "HTTPRoute.plate-server-1.k8s.yaml", "HTTPRoute.plate-server-2.k8s.yaml",
                      "HTTPRoute.plate-web-1.k8s.yaml", "HTTPRoute.plate-web-2.k8s.yaml"]
    monkeypatch.setitem(envs.CLUSTERS, "shared", patched(envs.CLUSTERS["shared"], {"extra_domains": []}))
    assert platform.environments["staging"].ingress.max_body_size == "10M"
    assert platform.clusters["shared"].cert_manager.acme_email == "Platform@COCDEV.CO.KR"


