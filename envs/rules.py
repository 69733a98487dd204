"""Rules across fields of a validated Environment, and what production must satisfy.

They run right after the model validated (``envs.validate``); the first rule broken raises
``TierError`` with the field path it concerns.
"""
from __future__ import annotations

import ipaddress

from components.cluster.acme import ISSUERS, PRODUCTION_ISSUER
from envs.layers import MetalLB
from envs.model import Apps, Cache, Environment, Hosts


class TierError(ValueError):
    """A rule broken by an otherwise well-typed environment; ``loc`` is the field path."""

    def __init__(self, loc: tuple[str, ...], message: str):
        super().__init__(message)
        self.loc = loc
        self.message = message


PRODUCTION_MIN_REPLICAS = {"web": 2, "server": 2}


def check_rules(env: Environment) -> None:
    """Rules across fields, run after the model validated; raises the first rule broken."""
    for field in Hosts.model_fields:
        host = getattr(env.hosts, field)
        if not host.endswith("." + env.domain):
            raise TierError(("hosts", field), f"host {host!r} is not under the environment's domain {env.domain!r}")
    ranges = address_ranges(env.metallb)
    lb_ip = env.ingress_controller.load_balancer_ip
    if lb_ip is not None:
        ip = int(ipaddress.IPv4Address(lb_ip))
        if not any(start <= ip <= end for _, _, start, end in ranges):
            raise TierError(("ingress_controller", "load_balancer_ip"),
                            f"{lb_ip} is in no MetalLB pool ({', '.join(p.name for p in env.metallb.pools)})")
    if env.storage_class != env.nfs.storage_class.name:
        raise TierError(("storage_class",), f"{env.storage_class!r} is not provided by the platform "
                                            f"(the NFS provisioner provides {env.nfs.storage_class.name!r})")
    if env.openbao.storage == "file" and env.openbao.replicas != 1:
        raise TierError(("openbao", "replicas"), f"file storage runs a single node (got {env.openbao.replicas}); use raft")
    prefix = env.secrets.path_prefix + "/"
    for loc, path in kv_paths(env):
        if not path.startswith(prefix):
            raise TierError(loc, f"{path!r} is outside this environment's KV prefix {env.secrets.path_prefix!r}")
    if env.ingress.cluster_issuer not in ISSUERS:
        raise TierError(("ingress", "cluster_issuer"),
                        f"unknown ClusterIssuer {env.ingress.cluster_issuer!r}; rendered: {', '.join(ISSUERS)}")
    if env.tier == "production":
        production_rules(env)


def production_rules(env: Environment) -> None:
    """What production must satisfy."""
    if env.security_profile != "hardened":
        raise TierError(("security_profile",), f"production must use the 'hardened' profile (got {env.security_profile!r})")
    if not env.ingress.tls:
        raise TierError(("ingress", "tls"), "production must serve every host over TLS")
    if env.openbao.storage != "raft" or env.openbao.replicas < 3:
        raise TierError(("openbao", "replicas"), "production runs OpenBao on integrated raft storage with at least "
                                                 f"3 replicas (got {env.openbao.storage}, {env.openbao.replicas})")
    if env.harbor.database != "external":
        raise TierError(("harbor", "database"), "production runs Harbor on an external database (the chart's internal "
                                                "one has a built-in superuser password)")
    if env.dashboard.cluster_admin:
        raise TierError(("dashboard", "cluster_admin"), "production never binds the dashboard to cluster-admin")
    if env.ingress.cluster_issuer != PRODUCTION_ISSUER:
        raise TierError(("ingress", "cluster_issuer"), f"production certificates come from {PRODUCTION_ISSUER!r} "
                                                       f"(got {env.ingress.cluster_issuer!r}, browsers do not trust it)")
    for app_name in Apps.model_fields:
        app = getattr(env.apps, app_name)
        images = {"image": app.image}
        if isinstance(app, Cache):
            images["exporter_image"] = app.exporter_image
        for field, image in images.items():
            if image.digest is None and (image.tag is None or image.tag == "latest"):
                got = "untagged" if image.tag is None else "'latest'"
                raise TierError(
                    ("apps", app_name, field, "tag"),
                    f"production images must be pinned to an explicit tag or digest (got {got})",
                )
    for app_name, minimum in PRODUCTION_MIN_REPLICAS.items():
        app = getattr(env.apps, app_name)
        floor = app.autoscaling.min_replicas if app.autoscaling else app.replicas
        if floor < minimum:
            field = ("autoscaling", "min_replicas") if app.autoscaling else ("replicas",)
            raise TierError(("apps", app_name, *field), f"production runs at least {minimum} replicas (got {floor})")


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


def kv_paths(env: Environment) -> list[tuple[tuple[str, ...], str]]:
    """Every OpenBao KV path the environment names, with its field path."""
    out = [(("secrets", "registry_pull_path"), env.secrets.registry_pull_path)]
    for name in Apps.model_fields:
        out.append((("apps", name, "secrets_path"), getattr(env.apps, name).secrets_path))
    if env.cert_manager.dns01:
        out.append((("cert_manager", "dns01", "api_token_path"), env.cert_manager.dns01.api_token_path))
    if env.argocd.repo_credentials_path:
        out.append((("argocd", "repo_credentials_path"), env.argocd.repo_credentials_path))
    out.append((("jenkins", "admin_credentials_path"), env.jenkins.admin_credentials_path))
    out.append((("harbor", "secrets_path"), env.harbor.secrets_path))
    out.append((("grafana", "admin_credentials_path"), env.grafana.admin_credentials_path))
    for field in ("credentials_path", "shared_key_path"):
        if getattr(env.logging.output, field, None):
            out.append((("logging", "output", field), getattr(env.logging.output, field)))
    if env.harbor.external_database:
        out.append((("harbor", "external_database", "password_path"), env.harbor.external_database.password_path))
    if env.harbor.external_redis and env.harbor.external_redis.password_path:
        out.append((("harbor", "external_redis", "password_path"), env.harbor.external_redis.password_path))
    return out
