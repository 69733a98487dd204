"""Rules across fields of validated clusters and environments, and what production must satisfy.

They run right after the models validated (``envs.load_platform``); the first rule broken raises
``TierError`` with the field path it concerns. A cluster that hosts a production environment is
held to the production rules too: the platform production depends on is production.
"""
from __future__ import annotations

import ipaddress
import re

from components.cluster.acme import ISSUERS, PRODUCTION_ISSUER
from components.types import Image
from envs.layers import MetalLB
from envs.model import HTTP_KINDS, CacheService, Cluster, Environment, ToolHosts


class TierError(ValueError):
    """A rule broken by an otherwise well-typed model; ``loc`` is the field path."""

    def __init__(self, loc: tuple[str, ...], message: str):
        super().__init__(message)
        self.loc = loc
        self.message = message


PRODUCTION_MIN_REPLICAS = {"web": 2, "server": 2}
# Namespaces an environment may never use: the cluster's own and the platform's.
SYSTEM_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
# RFC 2606 / RFC 6761 reserved names: the ACME servers refuse contact addresses there.
_RESERVED_MAIL = re.compile(r"(^|\.)(example\.(com|net|org)|example|test|invalid|localhost)$")


def valid_branch(name: str) -> str | None:
    """Why git would refuse ``name`` as a branch (``git check-ref-format --branch``), or None."""
    if name == "@" or name.startswith("-"):
        return "it is '@' or starts with '-'"
    if any(ord(c) < 0o40 or ord(c) == 0o177 or c in " ~^:?*[\\" for c in name):
        return "it contains a space, a control character or one of ~^:?*[\\"
    if ".." in name or "@{" in name or "//" in name:
        return "it contains '..', '@{' or '//'"
    if name.startswith("/") or name.endswith("/") or name.endswith("."):
        return "it starts or ends with '/' or ends with '.'"
    for part in name.split("/"):
        if part.startswith(".") or part.endswith(".lock"):
            return f"its component {part!r} starts with '.' or ends with '.lock'"
    return None


def check_cluster(cluster: Cluster, production: bool) -> None:
    for field in ToolHosts.model_fields:
        host = getattr(cluster.hosts, field)
        if host != cluster.domain and not host.endswith("." + cluster.domain):
            raise TierError(("hosts", field), f"host {host!r} is not under the cluster's domain {cluster.domain!r}")
    ranges = address_ranges(cluster.metallb)
    lb_ip = cluster.edge.load_balancer_ip
    if lb_ip is not None:
        ip = int(ipaddress.IPv4Address(lb_ip))
        if not any(start <= ip <= end for _, _, start, end in ranges):
            raise TierError(("edge", "load_balancer_ip"),
                            f"{lb_ip} is in no MetalLB pool ({', '.join(p.name for p in cluster.metallb.pools)})")
    if cluster.storage_class != cluster.nfs.storage_class.name:
        raise TierError(("storage_class",), f"{cluster.storage_class!r} is not provided by the platform "
                                            f"(the NFS provisioner provides {cluster.nfs.storage_class.name!r})")
    if ".." in cluster.nfs.path.split("/"):
        raise TierError(("nfs", "path"), f"{cluster.nfs.path!r} must not contain '..'")
    b, live = cluster.backups.target, cluster.nfs
    if ".." in b.path.split("/"):
        raise TierError(("backups", "target", "path"), f"{b.path!r} must not contain '..'")
    live_path = live.path.rstrip("/") + "/"
    if b.server == live.server and (b.path.rstrip("/") + "/").startswith(live_path):
        raise TierError(("backups", "target"), f"{b.server}:{b.path} is inside the live export "
                                               f"{live.server}:{live.path}: backups go to another export")
    why = valid_branch(cluster.gitops.rendered_branch)
    if why:
        raise TierError(("gitops", "rendered_branch"), f"git refuses {cluster.gitops.rendered_branch!r} as a branch: {why}")
    email = cluster.cert_manager.acme_email
    if _RESERVED_MAIL.search(email.rpartition("@")[2].lower()):
        raise TierError(("cert_manager", "acme_email"), f"{email!r} is in a reserved domain (RFC 2606/6761); "
                                                        "Let's Encrypt refuses it: use a real mailbox")
    prefix = cluster.secrets.path_prefix + "/"
    for loc, path in cluster_kv_paths(cluster):
        if not path.startswith(prefix):
            raise TierError(loc, f"{path!r} is outside the platform's KV prefix {cluster.secrets.path_prefix!r}")
    if cluster.ingress.cluster_issuer not in ISSUERS:
        raise TierError(("ingress", "cluster_issuer"),
                        f"unknown ClusterIssuer {cluster.ingress.cluster_issuer!r}; rendered: {', '.join(ISSUERS)}")
    if production:
        production_cluster(cluster)


def production_cluster(cluster: Cluster) -> None:
    """What a cluster hosting production must satisfy."""
    why = "it hosts production"
    if cluster.security_profile != "hardened":
        raise TierError(("security_profile",), f"{why}: the platform must use the 'hardened' profile "
                                               f"(got {cluster.security_profile!r})")
    if not cluster.ingress.tls:
        raise TierError(("ingress", "tls"), f"{why}: every tool host must be served over TLS")
    if not cluster.gitops.signing_keys:
        raise TierError(("gitops", "signing_keys"), f"{why}: the rendered branch is signed (Argo CD syncs only "
                                                    "commits signed by these keys)")
    if cluster.ingress.cluster_issuer != PRODUCTION_ISSUER:
        raise TierError(("ingress", "cluster_issuer"), f"{why}: certificates come from {PRODUCTION_ISSUER!r} "
                                                       f"(got {cluster.ingress.cluster_issuer!r})")
    if cluster.openbao.storage != "raft" or cluster.openbao.replicas < 3:
        raise TierError(("openbao", "replicas"), f"{why}: OpenBao runs on integrated raft storage with at least "
                                                 f"3 replicas (got {cluster.openbao.storage}, {cluster.openbao.replicas})")
    if not cluster.backups.before_sync:
        raise TierError(("backups", "before_sync"), f"{why}: every sync that changes a stateful component is "
                                                    "preceded by its backup (set before_sync: true)")
    if cluster.harbor.database != "external":
        raise TierError(("harbor", "database"), f"{why}: Harbor runs on an external database (the chart's internal "
                                                "one is a single pod without backups)")
    for loc, image in (((("openbao", "image"), cluster.openbao.image)), (("grafana", "image"), cluster.grafana.image)):
        _pinned(loc, image)
    if cluster.logging.image_tag == "latest":
        raise TierError(("logging", "image_tag"), "production images must be pinned to an explicit tag or digest "
                                                  "(got 'latest')")


def _pinned(loc: tuple[str, ...], image: Image) -> None:
    if image.digest is None and (image.tag is None or image.tag == "latest"):
        got = "untagged" if image.tag is None else "'latest'"
        raise TierError((*loc, "tag"), f"production images must be pinned to an explicit tag or digest (got {got})")


MAX_SERVICE_KEY = 40  # plate-<key> and the suffixes derived from it (-env, -headless, -metrics) fit in 63


def under(host: str, domains: list[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def check_environment(env: Environment, cluster: Cluster) -> None:
    if env.namespace in SYSTEM_NAMESPACES | platform_namespaces(cluster):
        raise TierError(("namespace",), f"{env.namespace!r} is a namespace of the platform; "
                                        "an environment needs its own")
    if env.namespace.startswith("kube-"):
        raise TierError(("namespace",), f"{env.namespace!r}: namespaces starting with 'kube-' are Kubernetes' own")
    domains = [cluster.domain, *cluster.extra_domains]
    hosts = [(("host",), env.host), *((("routes", n, "host"), r.host) for n, r in env.routes.items())]
    for loc, host in hosts:
        if not under(host, domains):
            raise TierError(loc, f"host {host!r} is not under the cluster's domain {cluster.domain!r} "
                                 f"(nor its extra_domains: {', '.join(cluster.extra_domains) or 'none'})")
    for key in env.services:
        if len(key) > MAX_SERVICE_KEY:
            raise TierError(("services", key), f"the key is {len(key)} characters: the names made from it "
                                               f"(plate-{key[:8]}...-headless) would pass Kubernetes' 63; use at most "
                                               f"{MAX_SERVICE_KEY}")
    if env.ingress.cluster_issuer not in ISSUERS:
        raise TierError(("ingress", "cluster_issuer"),
                        f"unknown ClusterIssuer {env.ingress.cluster_issuer!r}; rendered: {', '.join(ISSUERS)}")
    prefix = env.secrets.path_prefix + "/"
    for loc, path in env_kv_paths(env):
        if not path.startswith(prefix):
            raise TierError(loc, f"{path!r} is outside this environment's KV prefix {env.secrets.path_prefix!r}")
    for key, service in env.services.items():
        for used in getattr(service, "uses", []):
            if used not in env.services:
                raise TierError(("services", key, "uses"), f"uses {used!r}, which this environment does not run "
                                                           f"(services: {', '.join(sorted(env.services))})")
            if used == key:
                raise TierError(("services", key, "uses"), "a service cannot use itself")
        for field in ("image", "exporter_image"):
            image = getattr(service, field, None)
            if image is not None and image.registry == cluster.hosts.harbor and field == "image" \
                    and not image.repository.startswith(env.registry_project + "/"):
                raise TierError(("services", key, "image", "repository"),
                                f"{image.repository!r} is not in this environment's registry project "
                                f"{env.registry_project!r} on {cluster.hosts.harbor}")
    for route_name, route in env.routes.items():
        for path, target in route.paths.items():
            service = env.services.get(target)
            if service is None:
                raise TierError(("routes", route_name, "paths", path),
                                f"no service {target!r} in this environment (services: {', '.join(sorted(env.services))})")
            if service.kind not in HTTP_KINDS:
                raise TierError(("routes", route_name, "paths", path),
                                f"service {target!r} is a {service.kind} and serves no HTTP")
            metrics = getattr(service, "metrics_path", "/metrics")
            if path.rstrip("/") == metrics or path.startswith(metrics.rstrip("/") + "/"):
                raise TierError(("routes", route_name, "paths", path),
                                f"publishes the metrics endpoint of service {target!r} ({metrics}): Prometheus "
                                "scrapes it in-cluster, nobody outside should reach it")
    if env.tier == "production":
        production_environment(env)


def production_environment(env: Environment) -> None:
    if env.security_profile != "hardened":
        raise TierError(("security_profile",), f"production must use the 'hardened' profile (got {env.security_profile!r})")
    if not env.ingress.tls:
        raise TierError(("ingress", "tls"), "production must serve every host over TLS")
    if env.ingress.cluster_issuer != PRODUCTION_ISSUER:
        raise TierError(("ingress", "cluster_issuer"), f"production certificates come from {PRODUCTION_ISSUER!r} "
                                                       f"(got {env.ingress.cluster_issuer!r}, browsers do not trust it)")
    for key, service in env.services.items():
        _pinned(("services", key, "image"), service.image)
        if isinstance(service, CacheService):
            _pinned(("services", key, "exporter_image"), service.exporter_image)
    for key, service in env.services.items():
        if isinstance(service, CacheService):
            floor, field = 1, ("single_replica_reason",)
        else:
            floor = service.autoscaling.min_replicas if service.autoscaling else service.replicas
            field = ("autoscaling", "min_replicas") if service.autoscaling else ("replicas",)
        minimum = PRODUCTION_MIN_REPLICAS.get(service.kind)
        if minimum is not None and floor < minimum:
            raise TierError(("services", key, *field), f"production runs at least {minimum} replicas (got {floor})")
        if floor < 2 and not service.single_replica_reason:
            raise TierError(("services", key, *field), f"production runs every service on at least 2 replicas, spread "
                                                       f"over nodes (got {floor}); or say why in single_replica_reason")


def platform_namespaces(cluster: Cluster) -> frozenset[str]:
    from components.observability.kube_prometheus_stack import NAMESPACE as MONITORING

    return frozenset({cluster.gitops.argocd_namespace, cluster.edge.namespace, MONITORING, "logging",
                      "cert-manager", "metallb-system", "nfs-provisioner", "external-secrets", "openbao", "jenkins",
                      "harbor", "headlamp", "dex"})


def _ipv4(pool: str, value: str) -> int:
    try:
        return int(ipaddress.IPv4Address(value))
    except ValueError:
        raise TierError(("metallb", "pools", pool, "addresses"),
                        f"pool {pool!r}: {value!r} is not an IPv4 address") from None


def address_ranges(metallb: MetalLB) -> list[tuple[str, str, int, int]]:
    """(pool, entry, first, last) for every entry; malformed, reversed or overlapping ranges raise."""
    out: list[tuple[str, str, int, int]] = []
    for pool in metallb.pools:
        for entry in pool.addresses:
            loc = ("metallb", "pools", pool.name, "addresses")
            if "/" in entry:
                try:
                    net = ipaddress.IPv4Network(entry, strict=True)
                except ValueError as exc:
                    raise TierError(loc, f"pool {pool.name!r}: {entry!r} is not an IPv4 CIDR ({exc})") from None
                first, last = int(net.network_address), int(net.broadcast_address)
            else:
                start, sep, end = entry.partition("-")
                if not sep:
                    raise TierError(loc, f"pool {pool.name!r}: {entry!r} is neither a range 'first-last' nor a CIDR")
                first, last = _ipv4(pool.name, start.strip()), _ipv4(pool.name, end.strip())
                if first > last:
                    raise TierError(loc, f"pool {pool.name!r}: range {entry!r} is reversed (first address after last)")
            for other_pool, other, o_first, o_last in out:
                if first <= o_last and o_first <= last:
                    raise TierError(loc, f"pool {pool.name!r}: {entry!r} overlaps {other!r} of pool {other_pool!r}")
            out.append((pool.name, entry, first, last))
    names = [p.name for p in metallb.pools]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise TierError(("metallb", "pools", dup, "name"), f"pool name {dup!r} is used twice")
    return out


def env_kv_paths(env: Environment) -> list[tuple[tuple[str, ...], str]]:
    """Every OpenBao KV path the environment names, with its field path."""
    out: list[tuple[tuple[str, ...], str]] = [(("secrets", "registry_pull_path"), env.secrets.registry_pull_path)]
    for name, service in env.services.items():
        out.append((("services", name, "secrets_path"), service.secrets_path))
    return out


def cluster_kv_paths(cluster: Cluster) -> list[tuple[tuple[str, ...], str]]:
    """Every OpenBao KV path the platform's tools name, with its field path."""
    out: list[tuple[tuple[str, ...], str]] = []
    if cluster.cert_manager.dns01:
        out.append((("cert_manager", "dns01", "api_token_path"), cluster.cert_manager.dns01.api_token_path))
    for i, connector in enumerate(cluster.sso.connectors):
        out.append((("sso", "connectors", str(i), "credentials_path"), connector.credentials_path))
    out.append((("sso", "clients_path"), cluster.sso.clients_path))
    if cluster.argocd.repo_credentials_path:
        out.append((("argocd", "repo_credentials_path"), cluster.argocd.repo_credentials_path))
    out.append((("jenkins", "admin_credentials_path"), cluster.jenkins.admin_credentials_path))
    out.append((("harbor", "secrets_path"), cluster.harbor.secrets_path))
    out.append((("grafana", "admin_credentials_path"), cluster.grafana.admin_credentials_path))
    for field in ("credentials_path", "shared_key_path"):
        if getattr(cluster.logging.output, field, None):
            out.append((("logging", "output", field), getattr(cluster.logging.output, field)))
    if cluster.harbor.external_database:
        out.append((("harbor", "external_database", "password_path"), cluster.harbor.external_database.password_path))
    for name, receiver in sorted(cluster.alerting.receivers.items()):
        if receiver.credentials_path:
            out.append((("alerting", "receivers", name, "credentials_path"), receiver.credentials_path))
    if cluster.harbor.external_redis and cluster.harbor.external_redis.password_path:
        out.append((("harbor", "external_redis", "password_path"), cluster.harbor.external_redis.password_path))
    return out
