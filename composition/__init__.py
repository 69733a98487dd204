"""The composition root: turn a validated platform into component props and constructs.

This package is the only code that reads a ``Cluster`` or an ``Environment``. Components receive
plain props and never ask which environment they are in. One render unit is a cluster with every
environment that runs on it: the cluster's platform components (``cluster``, ``tools``,
``observability``) are built once from the cluster's settings, each environment's application
components (``apps``) from its own; what spans both (secret stores, namespaces, the Argo CD
projects and Applications) is derived afterwards from what was built, by one rule each.

dist/ mirrors the model: ``clusters/<cluster>/<component>/`` and
``environments/<env>/<component>/``, each with an ``apps/`` folder of Applications; the cluster's
``bootstrap/`` holds the one object applied by hand (its root Application).
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cdk8s
from constructs import Construct

from components.argocd.app_of_apps import (
    EXISTING_NAMESPACES,
    AppOfAppsProps,
    ClusterAppsChart,
    EnvironmentAppsChart,
    EnvironmentRef,
    bootstrap,
)
from components.cluster.edge import Edge, EdgeProps
from components.cluster.namespaces import Namespaces, NamespaceSpec, NamespacesProps, derive
from components.cluster.network_policies import NamespaceFlows, NetworkPolicies, NetworkPoliciesProps
from components.core import Component, ComponentInfo, HelmRelease, ManifestChart, Obj
from components.flows import NetworkNeeds, pods
from components.observability.kube_prometheus_stack import NAMESPACE as MONITORING
from components.routing import GatewayRef
from components.secrets import SecretStoreRef
from components.tools.secret_stores import store_ref
from components.workload import Hardening
from composition.chart_values import unknown_keys
from composition.wiring import props
from envs import ConfigError, Platform, parents_first
from envs.model import Cluster, Environment

# What each named security profile means for a workload (see envs/model.py SecurityProfile).
HARDENING = {
    "hardened": Hardening(),
    "standard": Hardening(read_only_root_filesystem=False, cpu_limits=False),
}


def apps_namespace(cluster: Cluster, env: Environment) -> str:
    """Where an environment's Applications live: a namespace of their own, which only its project
    admits (Argo CD's applications in any namespace)."""
    return f"{cluster.gitops.argocd_namespace}-{env.name}"


@dataclass(frozen=True)
class ClusterContext:
    """What the platform components of one cluster are built from."""

    cluster: Cluster
    hardening: Hardening
    environments: tuple[Environment, ...]

    def apps_namespace(self, env: Environment) -> str:
        return apps_namespace(self.cluster, env)

    def store(self, namespace: str) -> SecretStoreRef:
        """The secret store ExternalSecrets in ``namespace`` use (one per namespace, see secret_stores)."""
        return store_ref(namespace, self.cluster.secrets.refresh_interval)

    @property
    def gateway(self) -> GatewayRef:
        return GatewayRef(self.cluster.edge.gateway, self.cluster.edge.namespace)


@dataclass(frozen=True)
class EnvContext:
    """What the application components of one environment are built from."""

    env: Environment
    cluster: Cluster
    hardening: Hardening

    def store(self, namespace: str) -> SecretStoreRef:
        return store_ref(namespace, self.env.secrets.refresh_interval)

    @property
    def gateway(self) -> GatewayRef:
        return GatewayRef(self.cluster.edge.gateway, self.cluster.edge.namespace)


@dataclass
class Unit:
    """One folder of dist/: a cluster's platform or an environment's applications."""

    kind: str  # "cluster" | "environment"
    name: str
    components: list[Component] = field(default_factory=list[Component])
    argo: list[ManifestChart] = field(default_factory=list[ManifestChart])

    @property
    def folder(self) -> str:
        return f"{self.kind}s/{self.name}"

    @property
    def charts(self) -> list[ManifestChart]:
        return [*self.components, *self.argo]


def _check_prune(kind: str, name: str, prune: dict[str, bool], components: list[Component]) -> None:
    names = sorted(c.info.name for c in components)
    unknown = sorted(set(prune) - set(names))
    if unknown:
        guess = difflib.get_close_matches(unknown[0], names, n=1)
        hint = f" (did you mean {guess[0]!r}?)" if guess else f"; rendered: {', '.join(names)}"
        raise ConfigError(name, "app-of-apps", f"gitops.prune.{unknown[0]}", f"no such component{hint}", kind)


DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
# kinds whose names must be DNS labels (63 characters); the others DNS subdomains (253)
LABEL_NAMED = frozenset({"Namespace", "Service", "StatefulSet", "Deployment", "DaemonSet", "CronJob", "Job"})


def _check_names(owner: str, kind_of_owner: str, components: list[Component]) -> None:
    """Every name and label value a component made is one Kubernetes accepts (63 characters where a DNS
    label is asked for): the general rule behind a long service key."""
    for component in components:
        for m in component.manifests:
            md: dict[str, Any] = m.get("metadata") or {}
            name, kind = str(md.get("name", "")), str(m.get("kind", ""))
            limit = 63 if kind in LABEL_NAMED else 253
            if len(name) > limit or (kind in LABEL_NAMED and not DNS_LABEL.match(name)):
                raise ConfigError(owner, component.info.name, "name",
                                  f"{kind} name {name!r} is {len(name)} characters: Kubernetes accepts at most "
                                  f"{limit}{' (a DNS label)' if limit == 63 else ''}", kind_of_owner)
            lbls: dict[str, Any] = md.get("labels") or {}
            for key, value in lbls.items():
                if not LABEL_VALUE.match(str(value)):
                    raise ConfigError(owner, component.info.name, f"labels.{key}",
                                      f"label value {value!r} of {kind} {name!r} is not one Kubernetes accepts "
                                      "(at most 63 letters, digits, '-', '_', '.')", kind_of_owner)


def _check_chart_values(cluster: str, components: list[Component]) -> None:
    """Every values key we give a vendored chart must be one the chart declares or reads."""
    for component in components:
        helm = component.info.helm
        if helm is None or helm.archive is None:
            continue
        unknown = unknown_keys(Path(helm.archive), helm.values, helm.free_form)
        if unknown:
            raise ConfigError(cluster, component.info.name, f"values.{unknown[0]}",
                              f"the chart {helm.chart} {helm.version} has no such value (not in its values.yaml, "
                              "not read by its templates)", "cluster")


def _render_charts(cluster: Cluster, components: list[Component]) -> None:
    """Render every vendored chart with Helm (composition/helm.py) into its component.

    The charts that install CRDs render first; the API versions their CRDs serve are then given to
    every chart (charts switch on their ServiceMonitors and the like by asking for them)."""
    from composition import helm

    charted = [c for c in components
               if isinstance(c, HelmRelease) and c.info.helm is not None and c.info.helm.archive is not None]

    def release(component: HelmRelease, apis: frozenset[str]) -> helm.Release:
        info = component.info
        assert info.helm is not None and info.helm.archive is not None
        return helm.Release(info.name, info.namespace, Path(info.helm.archive), info.helm.values,
                            cluster.kubernetes_version, tuple(sorted(apis)))

    from output import writer

    stringify = writer.stringify

    # The CRDs of a chart never depend on the API versions it is told about: the first pass tells the
    # charts that install CRDs what they provide together, and which custom kinds are cluster-scoped.
    apis, scoped = helm.crd_index([release(c, frozenset()) for c in charted if c.provides_crds])
    releases = [release(c, apis) for c in charted]
    helm.render_all([r for r in releases if not helm.is_prepared(r, scoped)])  # Helm in parallel, what is not cached
    for component, rel in zip(charted, releases, strict=True):
        try:
            rendered, texts = helm.prepared(rel, scoped, stringify)
        except ValueError as exc:
            raise helm.HelmError(f"component {component.info.name!r}: {exc}") from None
        groups = sorted({crd["spec"]["group"] for crd in rendered.crds})
        if groups != sorted(component.info.provides_crds):
            raise helm.HelmError(f"component {component.info.name!r}: the chart installs "
                                 f"the CRDs of {groups or 'no API group'}, the component declares "
                                 f"{sorted(component.info.provides_crds) or 'none'} (provides_crds)")
        component.add_chart_objects(rendered.objects, rendered.crds, texts)


KEYS = Path(__file__).resolve().parent.parent / "keys"  # public OpenPGP keys: keys/<fingerprint>.asc


def public_keys(cluster: Cluster) -> dict[str, str]:
    """The rendered branch's signing keys for Argo CD's keyring (key ID -> armored public key)."""
    return {k: v for fingerprint in cluster.gitops.signing_keys for k, v in public_key(cluster, fingerprint).items()}


def public_key(cluster: Cluster, fingerprint: str) -> dict[str, str]:
    """One signing key for Argo CD's keyring (its key ID -> armored public key), checked."""
    path = KEYS / f"{fingerprint}.asc"
    if not path.is_file():
        raise ConfigError(cluster.name, "argo-cd", "gitops.signing_keys",
                          f"no public key keys/{fingerprint}.asc (export it: gpg --armor --export {fingerprint})",
                          "cluster")
    text = path.read_text()
    try:
        held = openpgp_fingerprint(text)
    except ValueError as exc:
        raise ConfigError(cluster.name, "argo-cd", "gitops.signing_keys", f"keys/{fingerprint}.asc: {exc}",
                          "cluster") from None
    if held != fingerprint:
        raise ConfigError(cluster.name, "argo-cd", "gitops.signing_keys",
                          f"keys/{fingerprint}.asc holds the key {held}, not {fingerprint} (export it again: "
                          f"gpg --armor --export {fingerprint})", "cluster")
    return {fingerprint[-16:]: text}


def openpgp_fingerprint(armored: str) -> str:
    """The v4 fingerprint of the primary key of an ASCII-armored OpenPGP public key (RFC 4880 12.2:
    SHA-1 of 0x99, the two-octet length and the public-key packet's body)."""
    import base64
    import hashlib

    lines = armored.strip().splitlines()
    if not lines or lines[0] != "-----BEGIN PGP PUBLIC KEY BLOCK-----":
        raise ValueError("not an ASCII-armored OpenPGP public key")
    body = lines[lines.index("") + 1:] if "" in lines else lines[1:]
    data = base64.b64decode("".join(x for x in body if not x.startswith(("=", "-----"))))
    if not data or not data[0] & 0x80:
        raise ValueError("no OpenPGP packet")
    if data[0] & 0x40:  # new packet format
        tag, first = data[0] & 0x3F, data[1]
        if first < 192:
            length, start = first, 2
        elif first < 224:
            length, start = ((first - 192) << 8) + data[2] + 192, 3
        else:
            length, start = int.from_bytes(data[2:6], "big"), 6
    else:  # old packet format
        tag, kind = (data[0] >> 2) & 0x0F, data[0] & 0x03
        size = {0: 1, 1: 2, 2: 4}.get(kind)
        if size is None:
            raise ValueError("a public key packet of indeterminate length")
        length, start = int.from_bytes(data[1:1 + size], "big"), 1 + size
    if tag != 6:
        raise ValueError(f"the first packet is not a public key (tag {tag})")
    packet = data[start:start + length]
    if len(packet) != length or packet[0] != 4:
        raise ValueError("not a version 4 public key")
    return hashlib.sha1(b"\x99" + length.to_bytes(2, "big") + packet).hexdigest().upper()  # noqa: S324 - RFC 4880


def edge(scope: Construct, ctx: ClusterContext, built: list[Component]) -> Edge:
    """The cluster's Gateway: a listener (and certificate) for every host a component serves."""
    c = ctx.cluster
    served = tuple(s for component in built for s in component.info.served)
    try:
        return Edge(scope, props(EdgeProps, c.edge, served=served, tls=c.ingress.tls,
                                 cluster_issuer=c.ingress.cluster_issuer, request_timeout=c.ingress.request_timeout,
                                 hsts_max_age_seconds=c.ingress.hsts_max_age_seconds))
    except ValueError as exc:
        raise ConfigError(c.name, "edge", "hosts", str(exc), "cluster") from None


def network_policies(scope: Construct, ctx: ClusterContext, built: list[Component]) -> NetworkPolicies:
    """Every namespace fenced: default deny, then the flows its components declare, and pod to pod the
    flows the render implies (composition/flows.py: routes and monitors)."""
    from components.cluster.envoy_gateway import PROXY_LABELS
    from components.observability.kube_prometheus_stack import PROMETHEUS_PODS
    from composition import flows as derive_flows

    c = ctx.cluster
    by_namespace: dict[str, list[ComponentInfo]] = {}
    for component in built:
        info = component.info
        by_namespace.setdefault(info.namespace, []).append(info)
    namespaces: list[NamespaceFlows] = []
    own: list[str] = []
    # host-network pods that are scraped answer on the nodes: Prometheus' egress to the nodes has their ports
    host_metrics = tuple(sorted({port for comp in built for port in comp.info.network.host_metrics}))
    for ns, infos in sorted(by_namespace.items()):
        needs = NetworkNeeds(nodes=host_metrics, nodes_pods=pods(PROMETHEUS_PODS)) if ns == MONITORING \
            else NetworkNeeds()
        for info in infos:
            needs = needs | info.network
        if ns in EXISTING_NAMESPACES or needs.own_policies:
            own.append(ns)
            continue  # default, kube-system: not ours; Plate environments: fenced per workload by their own
        namespaces.append(NamespaceFlows(ns, needs))
    # the environments' Applications' own namespaces hold no pods: denied like every other
    namespaces += [NamespaceFlows(ctx.apps_namespace(env), NetworkNeeds()) for env in ctx.environments]
    namespaces.sort(key=lambda n: n.name)
    objects = [m for comp in built for m in (*comp.manifests, *comp.runtime_pods)]
    proxies = pods(dict(PROXY_LABELS))
    try:
        derived = (*derive_flows.gateway_flows(objects, c.edge.namespace, proxies),
                   *derive_flows.prometheus_flows(objects, MONITORING, pods(PROMETHEUS_PODS)))
    except derive_flows.FlowError as exc:
        raise ConfigError(c.name, "network-policies", "flows", str(exc), "cluster") from None
    storage = tuple(f"{c.nfs.server}/32" for _ in (0,) if _is_ip(c.nfs.server))
    return NetworkPolicies(scope, props(NetworkPoliciesProps, c.network, namespaces=tuple(namespaces),
                                        gateway_namespace=c.edge.namespace, gateway_pods=proxies, flows=derived,
                                        own_policies=tuple(own), storage_cidrs=storage))


def _is_ip(address: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


# more application components for an environment (the scale benchmark's generator)
Extra = Callable[[Construct, "EnvContext"], list[Component]]


def compose_cluster(app: cdk8s.App, platform: Platform, cluster_name: str, extra: Extra | None = None) -> list[Unit]:
    """Every component of the cluster and of its environments, and the Argo CD charts derived from them."""
    from components.observability.alert_rules import AlertRules
    from components.types import duration_seconds
    from composition import apps, backups, cluster, observability, tools

    c = platform.clusters[cluster_name]
    environments = tuple(platform.environments_on(cluster_name))
    ctx = ClusterContext(c, HARDENING[c.security_profile], environments)
    platform_unit = Unit("cluster", cluster_name)
    scope = Construct(app, f"cluster-{cluster_name}")
    platform_unit.components = [*cluster.build(scope, ctx), *tools.build(scope, ctx)]
    env_units: list[Unit] = []
    for env in environments:
        unit = Unit("environment", env.name)
        env_scope = Construct(app, f"environment-{env.name}")
        ectx = EnvContext(env, c, HARDENING[env.security_profile])
        unit.components = apps.build(env_scope, ectx)
        if extra is not None:  # more application components (the scale benchmark's generator)
            unit.components += extra(env_scope, ectx)
        unit.components.append(observability.environment_rules(env_scope, ectx, unit.components))
        env_units.append(unit)
    every_app = [comp for u in env_units for comp in u.components]
    platform_unit.components += observability.build(scope, ctx, platform_unit.components, every_app, environments)
    planned = backups.attach(ctx, platform_unit.components)
    rules = next(comp for comp in platform_unit.components if type(comp) is AlertRules)
    rules.backup_rules([(p.backup.namespace, p.backup.state.name) for p in planned],
                       duration_seconds(c.backups.max_age), c.alerts.platform_severity)
    # derived from what every component serves: Dex's clients, then the Gateway's listeners
    platform_unit.components.append(tools.dex(scope, ctx, [*platform_unit.components, *every_app]))
    platform_unit.components.append(edge(scope, ctx, [*platform_unit.components, *every_app]))
    _check_chart_values(cluster_name, platform_unit.components)
    _check_names(cluster_name, "cluster", platform_unit.components)
    units_of = {env.name: unit for env, unit in zip(environments, env_units, strict=True)}
    for name in parents_first(units_of):  # a faulty value is named where it is written, not inherited
        _check_names(name, "environment", units_of[name].components)
    _render_charts(c, platform_unit.components)
    backups.claims_first(ctx, platform_unit.components)
    built = [*platform_unit.components, *every_app]
    platform_unit.components.append(tools.secret_stores(scope, ctx, built))
    apps_namespaces = tuple(NamespaceSpec(ctx.apps_namespace(env), "restricted") for env in environments)
    namespaces = Namespaces(scope, NamespacesProps(namespaces=tuple(sorted(
        (*derive([comp.info for comp in [*platform_unit.components, *every_app]]), *apps_namespaces),
        key=lambda n: n.name))))
    platform_unit.components.append(namespaces)
    platform_unit.components.append(network_policies(scope, ctx, [*platform_unit.components, *every_app]))
    rendered = frozenset(namespaces.names)

    g = c.gitops
    signed = tuple(k[-16:] for k in g.signing_keys)
    props = AppOfAppsProps(owner=cluster_name, folder=platform_unit.folder, repo_url=g.repo_url,
                           revision=g.rendered_branch, argocd_namespace=g.argocd_namespace, prune=dict(g.prune),
                           retry_limit=g.retry_limit, signature_keys=signed)
    _check_prune("cluster", cluster_name, g.prune, platform_unit.components)
    for name in parents_first(units_of):
        _check_prune("environment", name, platform.environments[name].gitops.prune, units_of[name].components)
    refs: list[EnvironmentRef] = []
    for env, unit in zip(environments, env_units, strict=True):
        subscriptions = c.argocd.notifications.annotations(env.name) if c.argocd.notifications else {}
        env_props = AppOfAppsProps(owner=env.name, folder=unit.folder, repo_url=g.repo_url, revision=g.rendered_branch,
                                   argocd_namespace=g.argocd_namespace, prune=dict(env.gitops.prune),
                                   retry_limit=g.retry_limit, annotations=subscriptions, signature_keys=signed,
                                   apps_namespace=ctx.apps_namespace(env))
        infos = [comp.info for comp in unit.components]
        unit.argo = [EnvironmentAppsChart(Construct(app, f"argo-{env.name}"), env_props, infos, rendered)]
        refs.append(EnvironmentRef(env_props, tuple(infos)))
    argo_scope = Construct(app, f"argo-cluster-{cluster_name}")
    platform_unit.argo = [ClusterAppsChart(argo_scope, props, [comp.info for comp in platform_unit.components],
                                           rendered, tuple(refs)),
                          *bootstrap(argo_scope, props, _namespace(namespaces, g.argocd_namespace),
                                     _component(platform_unit.components, "argo-cd"))]
    return [platform_unit, *env_units]


def _namespace(namespaces: Namespaces, name: str) -> Obj:
    return next(m for m in namespaces.manifests if m["metadata"]["name"] == name)


def _component(components: list[Component], name: str) -> Component:
    return next(c for c in components if c.info.name == name)


def compose(app: cdk8s.App, platform: Platform, cluster_name: str) -> list[Component]:
    """Every component of one cluster and its environments (tests and tools that inspect them)."""
    return [comp for unit in compose_cluster(app, platform, cluster_name) for comp in unit.components]
