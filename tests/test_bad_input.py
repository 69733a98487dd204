"""Bad input stops the render with one message naming environment, component and field,
exits non-zero through the real entry point, and leaves the previous dist/ byte-for-byte intact."""
from __future__ import annotations

import shutil

import pytest

import envs
from envs import ConfigError
from platectl import render
from tests.helpers import read_tree

DELETE = object()


def mutate(data: dict, path: str, value) -> dict:
    node = data
    *parents, last = path.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return data


def E(env: str, component: str, field: str, problem: str) -> str:  # noqa: N802
    return f"environment {env!r}, component {component!r}, field {field!r}: {problem}"


CASES = [
    ("production", {"apps.web.image.tag": "latest"},
     E("production", "plate-web", "image.tag", "production images must be pinned to an explicit tag or digest (got 'latest')")),
    ("production", {"apps.server.image.tag": None},
     E("production", "plate-server", "image.tag", "production images must be pinned to an explicit tag or digest (got untagged)")),
    ("production", {"apps.cache.exporter_image.tag": "latest"},
     E("production", "plate-cache", "exporter_image.tag", "production images must be pinned to an explicit tag or digest (got 'latest')")),
    ("staging", {"apps.web.replicas": -1},
     E("staging", "plate-web", "replicas", "Input should be greater than or equal to 0 (got -1)")),
    ("staging", {"apps.web.replica": 2},
     E("staging", "plate-web", "replica", "unknown key")),
    ("staging", {"apps.server.replicas": "2"},
     E("staging", "plate-server", "replicas", "Input should be a valid integer (got '2')")),
    ("staging", {"hosts.app": "app_stg.plate.example.com"},
     E("staging", "plate-ingress", "hosts.app", "'app_stg.plate.example.com' is not a valid DNS hostname")),
    ("staging", {"hosts.llm": "llm.other.example.org"},
     E("staging", "plate-ingress", "hosts.llm", "host 'llm.other.example.org' is not under the environment's domain 'stg.plate.example.com'")),
    ("production", {"apps.web.autoscaling": None, "apps.web.disruption_budget_min_available": None, "apps.web.replicas": 1},
     E("production", "plate-web", "replicas", "production runs at least 2 replicas (got 1)")),
    ("production", {"apps.server.autoscaling.min_replicas": 1, "apps.server.disruption_budget_min_available": None},
     E("production", "plate-server", "autoscaling.min_replicas", "production runs at least 2 replicas (got 1)")),
    ("production", {"ingress.tls": False},
     E("production", "plate-ingress", "ingress.tls", "production must serve every host over TLS")),
    ("production", {"security_profile": "standard"},
     E("production", "plate-namespace", "security_profile", "production must use the 'hardened' profile (got 'standard')")),
    ("staging", {"apps.llm.resources.requests.memory": "lots"},
     E("staging", "plate-llm", "resources.requests.memory", "'lots' is not a Kubernetes quantity (for example '250m', '512Mi', '2')")),
    ("staging", {"apps.admin.secrets_path": "/plate//admin"},
     E("staging", "plate-admin", "secrets_path", "'/plate//admin' is not an OpenBao KV path (lower-case segments separated by '/', no leading or trailing '/')")),
    ("staging", {"gitops.repo_url": "github.com/plate"},
     E("staging", "app-of-apps", "gitops.repo_url", "'github.com/plate' is not a Git URL (https://, ssh:// or git@host:path)")),
    ("staging", {"apps.server.egress_cidrs": ["10.0.0.1/8"]},
     E("staging", "plate-server", "egress_cidrs.0", "'10.0.0.1/8' is not an IPv4 CIDR (10.0.0.1/8 has host bits set)")),
    ("staging", {"apps.web.autoscaling": {"min_replicas": 4, "max_replicas": 2}},
     E("staging", "plate-web", "autoscaling", "max_replicas (2) must be at least min_replicas (4)")),
    ("staging", {"gitops.prune": {"plate-wbe": False}},
     E("staging", "app-of-apps", "gitops.prune.plate-wbe", "no such component (did you mean 'plate-web'?)")),
    ("staging", {"apps.web.secrets_path": DELETE},
     E("staging", "plate-web", "secrets_path", "required, no default")),
    ("staging", {"tier": "prod"},
     E("staging", "environment", "tier", "Input should be 'staging' or 'production' (got 'prod')")),
    ("production", {"apps.llm.image.digest": "sha256:abc"},
     E("production", "plate-llm", "image", "digest 'sha256:abc' is not a sha256 digest")),
    ("staging", {"apps.admin.disruption_budget_min_available": 1},
     E("staging", "plate-admin", "(all)", "disruption_budget_min_available (1) must be below the replica count (1), or no pod could ever be evicted")),
    ("staging", {"storage_class": "NFS_Client"},
     E("staging", "nfs-provisioner", "storage_class", "'NFS_Client' is not a DNS-1123 label (lower-case letters, digits and '-', at most 63)")),
    # cluster services
    ("staging", {"metallb.pools": [{"name": "public", "addresses": ["192.168.97-192.168.97.20"]}]},
     E("staging", "metallb-pools", "metallb.pools.public.addresses", "pool 'public': '192.168.97' is not an IPv4 address")),
    ("staging", {"metallb.pools": [{"name": "public", "addresses": ["192.168.50.220-192.168.50.200"]}]},
     E("staging", "metallb-pools", "metallb.pools.public.addresses", "pool 'public': range '192.168.50.220-192.168.50.200' is reversed (first address after last)")),
    ("staging", {"metallb.pools": [{"name": "public", "addresses": ["192.168.50.200-192.168.50.220"]},
                                   {"name": "extra", "addresses": ["192.168.50.208/29"]}]},
     E("staging", "metallb-pools", "metallb.pools.extra.addresses", "pool 'extra': '192.168.50.208/29' overlaps '192.168.50.200-192.168.50.220' of pool 'public'")),
    ("staging", {"metallb.pools": [{"name": "public", "addresses": ["192.168.50.200"]}]},
     E("staging", "metallb-pools", "metallb.pools.public.addresses", "pool 'public': '192.168.50.200' is neither a range 'first-last' nor a CIDR")),
    ("staging", {"ingress_controller.load_balancer_ip": "192.168.60.1"},
     E("staging", "ingress-nginx", "ingress_controller.load_balancer_ip", "192.168.60.1 is in no MetalLB pool (public)")),
    ("staging", {"cert_manager.acme_email": "ops@localhost"},
     E("staging", "cluster-issuers", "cert_manager.acme_email", "'ops@localhost' is not an e-mail address")),
    ("staging", {"cert_manager.acme_email": DELETE},
     E("staging", "cluster-issuers", "cert_manager.acme_email", "required, no default")),
    ("staging", {"nfs.server": "192.168.50"},
     E("staging", "nfs-provisioner", "nfs.server", "'192.168.50' is not an IPv4 address")),
    ("staging", {"nfs.server": "nfs_server"},
     E("staging", "nfs-provisioner", "nfs.server", "'nfs_server' is neither an IPv4 address nor a DNS hostname")),
    ("staging", {"storage_class": "local-path"},
     E("staging", "nfs-provisioner", "storage_class", "'local-path' is not provided by the platform (the NFS provisioner provides 'nfs-client')")),
    ("staging", {"ingress.cluster_issuer": "letsencrypt"},
     E("staging", "plate-ingress", "ingress.cluster_issuer", "unknown ClusterIssuer 'letsencrypt'; rendered: letsencrypt-staging, letsencrypt-prod")),
    ("production", {"ingress.cluster_issuer": "letsencrypt-staging"},
     E("production", "plate-ingress", "ingress.cluster_issuer", "production certificates come from 'letsencrypt-prod' (got 'letsencrypt-staging', browsers do not trust it)")),
    ("staging", {"nfs.storage_class.reclaim_policy": "Recycle"},
     E("staging", "nfs-provisioner", "nfs.storage_class.reclaim_policy", "Input should be 'Delete' or 'Retain' (got 'Recycle')")),
    # secrets
    ("staging", {"apps.web.secrets_path": "plate/production/web"},
     E("staging", "plate-web", "secrets_path", "'plate/production/web' is outside this environment's KV prefix 'plate/staging'")),
    ("staging", {"secrets.registry_pull_path": "registry"},
     E("staging", "external-secrets", "secrets.registry_pull_path", "'registry' is outside this environment's KV prefix 'plate/staging'")),
    ("production", {"openbao.replicas": 2},
     E("production", "openbao", "openbao.replicas", "must suit raft: 1, 3 or 5 (got 2)")),
    ("staging", {"openbao.replicas": 3},
     E("staging", "openbao", "openbao.replicas", "file storage runs a single node (got 3); use raft")),
    ("production", {"openbao.replicas": 1},
     E("production", "openbao", "openbao.replicas", "production runs OpenBao on integrated raft storage with at least 3 replicas (got raft, 1)")),
    ("staging", {"openbao.seal": {"type": "transit"}},
     E("staging", "openbao", "openbao.seal", "Input tag 'transit' found using 'type' does not match any of the expected tags: 'shamir', 'awskms', 'gcpckms'")),
    ("staging", {"openbao.seal": {"type": "awskms", "region": "eu-west-1"}},
     E("staging", "openbao", "openbao.seal.awskms.kms_key_id", "required, no default")),
    ("staging", {"openbao.data_size": "ten gigs"},
     E("staging", "openbao", "openbao.data_size", "'ten gigs' is not a Kubernetes quantity (for example '250m', '512Mi', '2')")),
    ("staging", {"secrets.refresh_interval": "soon"},
     E("staging", "external-secrets", "secrets.refresh_interval", "'soon' is not a duration (for example '30s', '1h', '1h30m')")),
    # delivery tools
    ("staging", {"argocd.admin_groups": []},
     E("staging", "argo-cd", "argocd.admin_groups", "List should have at least 1 item after validation, not 0")),
    ("staging", {"harbor.database": "external"},
     E("staging", "harbor", "harbor", "database is 'external' but external_database is not set")),
    ("staging", {"harbor.external_redis": {"addr": "redis.stg.plate.example.com:6379"}},
     E("staging", "harbor", "harbor", "external_redis is set but redis is 'internal'")),
    ("staging", {"harbor.persistence.registry": "lots"},
     E("staging", "harbor", "harbor.persistence.registry", "'lots' is not a Kubernetes quantity (for example '250m', '512Mi', '2')")),
    ("production", {"harbor.database": "internal", "harbor.external_database": None},
     E("production", "harbor", "harbor.database", "production runs Harbor on an external database (the chart's internal one has a built-in superuser password)")),
    ("production", {"dashboard.cluster_admin": True},
     E("production", "kubernetes-dashboard", "dashboard.cluster_admin", "production never binds the dashboard to cluster-admin")),
    ("staging", {"jenkins.admin_credentials_path": "ci/jenkins"},
     E("staging", "jenkins", "jenkins.admin_credentials_path", "'ci/jenkins' is outside this environment's KV prefix 'plate/staging'")),
    ("production", {"harbor.external_database.host": "pg_prod"},
     E("production", "harbor", "harbor.external_database.host", "'pg_prod' is neither an IPv4 address nor a DNS hostname")),
    # observability
    ("staging", {"logging.output": {"type": "splunk", "url": "https://splunk.test"}},
     E("staging", "fluentd", "logging.output", "Input tag 'splunk' found using 'type' does not match any of the expected tags: 'elasticsearch', 'opensearch', 'loki', 'forward'")),
    ("staging", {"logging.output": {"type": "loki"}},
     E("staging", "fluentd", "logging.output.loki.url", "required, no default")),
    ("production", {"logging.output.host": DELETE},
     E("production", "fluentd", "logging.output.opensearch.host", "required, no default")),
    ("staging", {"alerts.error_ratio": 1.5},
     E("staging", "alert-rules", "alerts.error_ratio", "Input should be less than 1 (got 1.5)")),
    ("staging", {"alerts.availability_severity": "page"},
     E("staging", "alert-rules", "alerts.availability_severity", "Input should be 'critical', 'warning' or 'info' (got 'page')")),
    ("staging", {"monitoring.retention": "forever"},
     E("staging", "kube-prometheus-stack", "monitoring.retention", "String should match pattern '^[0-9]+(h|d|w|y)$' (got 'forever')")),
    ("staging", {"grafana.admin_credentials_path": "grafana"},
     E("staging", "grafana", "grafana.admin_credentials_path", "'grafana' is outside this environment's KV prefix 'plate/staging'")),
    ("staging", {"hosts.openbao": "bao.example.org"},
     E("staging", "openbao", "hosts.openbao", "host 'bao.example.org' is not under the environment's domain 'stg.plate.example.com'")),
]


@pytest.fixture(scope="module")
def previous(tmp_path_factory, fresh_render):
    """A dist/ as a previous successful render left it."""
    out = tmp_path_factory.mktemp("previous") / "dist"
    shutil.copytree(fresh_render, out)
    return out


@pytest.mark.parametrize("env,changes,message", CASES, ids=[f"{c[0]}:{','.join(c[1])}" for c in CASES])
def test_bad_input_is_one_message_and_dist_untouched(previous, env, changes, message):
    before = read_tree(previous)
    data = envs.raw(env)
    for path, value in changes.items():
        mutate(data, path, value)
    with pytest.raises(ConfigError) as caught:
        render.synth(previous, data={env: data})
    assert str(caught.value) == message
    assert read_tree(previous) == before
    assert not [p for p in previous.parent.iterdir() if p.name != "dist"], "temporary render left behind"


def test_entry_point_exits_1_with_the_message_on_stderr(previous, monkeypatch, capsys):
    before = read_tree(previous)
    overlay = envs.deep_merge(envs.OVERLAYS["production"], {"apps": {"web": {"image": {"tag": "latest"}}}})
    monkeypatch.setitem(envs.OVERLAYS, "production", overlay)
    monkeypatch.setenv("PLATE_DIST", str(previous))
    assert render.main([]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "error: " + CASES[0][2],
        f"nothing written: {previous} is unchanged",
    ]
    assert read_tree(previous) == before


def test_cluster_admin_dashboard_renders_with_a_warning_naming_it(tmp_path):
    data = envs.raw("staging")
    data["dashboard"]["cluster_admin"] = True
    warnings: list[str] = []
    render.synth(tmp_path / "dist", names=["staging"], data={"staging": data}, warn=warnings.append)
    warnings = [w for w in warnings if "'harbor'" not in w]  # staging's internal Harbor database warns too
    assert warnings == ["warning: environment 'staging', component 'kubernetes-dashboard': ServiceAccount "
                        "kubernetes-dashboard/dashboard-admin is bound to cluster-admin (dashboard.cluster_admin is true)"]
    assert (tmp_path / "dist/staging/kubernetes-dashboard/ClusterRoleBinding.dashboard-admin.k8s.yaml").exists()
