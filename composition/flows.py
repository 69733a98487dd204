"""The flows between namespaces that the render itself implies, derived by one rule each:

- a route: the Gateway's proxies reach the pods behind each backend Service, on its target port;
- a monitor: Prometheus reaches the pods each ServiceMonitor or PodMonitor scrapes, on the scraped port.

Read from the objects every component renders (ours and the charts'), after the charts are rendered,
so a chart's own monitors count too. Targets outside the render (the API server's and the kubelets'
Services) and host-network pods (they answer on the nodes' addresses: ``NetworkNeeds.host_metrics``)
are left to the namespace-level declarations. Flows inside one namespace are left to its
``same-namespace`` policy.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from components.flows import PodFlow, Pods, pods
from output.objects import pod_template

Obj = dict[str, Any]


class FlowError(ValueError):
    pass


def matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels and matchExpressions) against labels."""
    match_labels: dict[str, str] = selector.get("matchLabels") or {}
    if any(labels.get(k) != v for k, v in match_labels.items()):
        return False
    expressions: list[dict[str, Any]] = selector.get("matchExpressions") or []
    for e in expressions:
        key: str = e["key"]
        op: str = e["operator"]
        values: list[str] = e.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


class Index:
    """Services and pod templates of the render, by namespace."""

    def __init__(self, objects: Iterable[Obj]):
        self.services: dict[tuple[str, str], Obj] = {}
        self.pods: dict[str, list[Obj]] = {}
        for o in objects:
            ns = o.get("metadata", {}).get("namespace", "")
            if o.get("kind") == "Service":
                self.services[(ns, o["metadata"]["name"])] = o
            template = pod_template(o)
            if template is not None:
                self.pods.setdefault(ns, []).append(template)

    def pods_of(self, namespace: str, selector: Mapping[str, Any]) -> list[Obj]:
        return [t for t in self.pods.get(namespace, []) if matches(selector, t.get("metadata", {}).get("labels", {}))]

    def container_ports(self, templates: Sequence[Obj], name: str) -> set[int]:
        return {p["containerPort"] for t in templates for c in t["spec"].get("containers", [])
                for p in c.get("ports", []) if p.get("name") == name}

    def target_ports(self, namespace: str, service: Obj, port: Mapping[str, Any]) -> tuple[list[Obj], set[int]]:
        """The pods behind a Service port and the port numbers they serve it on."""
        labels: dict[str, str] = service["spec"].get("selector") or {}
        templates = self.pods_of(namespace, {"matchLabels": labels}) if labels else []
        target = port.get("targetPort", port["port"])
        numbers = {target} if isinstance(target, int) else self.container_ports(templates, target)
        return templates, numbers


def _host_network(templates: Sequence[Obj]) -> bool:
    return bool(templates) and all(t["spec"].get("hostNetwork") for t in templates)


def gateway_flows(objects: Sequence[Obj], gateway_namespace: str, proxies: Pods) -> list[PodFlow]:
    """The proxies reach each route's backend pods on the Service's target port."""
    index = Index(objects)
    out: list[PodFlow] = []
    for route in (o for o in objects if o.get("kind") == "HTTPRoute"):
        ns = route["metadata"]["namespace"]
        for rule in route["spec"].get("rules", []):
            for ref in rule.get("backendRefs", []):
                if ref.get("kind", "Service") != "Service":
                    continue
                target_ns = ref.get("namespace", ns)
                service = index.services.get((target_ns, ref["name"]))
                if service is None:
                    raise FlowError(f"HTTPRoute {ns}/{route['metadata']['name']}: no Service {target_ns}/{ref['name']}")
                port = next((p for p in service["spec"]["ports"] if p["port"] == ref["port"]), None)
                if port is None:
                    raise FlowError(f"HTTPRoute {ns}/{route['metadata']['name']}: Service {ref['name']} has no "
                                    f"port {ref['port']}")
                _, numbers = index.target_ports(target_ns, service, port)
                if not numbers:
                    raise FlowError(f"HTTPRoute {ns}/{route['metadata']['name']}: no pod serves the target port "
                                    f"of Service {target_ns}/{ref['name']}:{ref['port']}")
                if target_ns != gateway_namespace:
                    out.append(PodFlow("gateway", ref["name"], gateway_namespace, proxies, target_ns,
                                       pods(service["spec"]["selector"]), tuple(sorted(numbers))))
    return merge(out)


def _monitor_namespaces(monitor: Obj) -> list[str]:
    selector: dict[str, Any] = monitor["spec"].get("namespaceSelector") or {}
    if selector.get("any"):
        raise FlowError(f"{monitor['kind']} {monitor['metadata']['name']}: namespaceSelector any is not supported "
                        "by the derived fence; name the namespaces")
    names: list[str] = selector.get("matchNames") or [monitor["metadata"]["namespace"]]
    return list(names)


def prometheus_flows(objects: Sequence[Obj], monitoring_namespace: str, prometheus: Pods) -> list[PodFlow]:
    """Prometheus reaches what each ServiceMonitor and PodMonitor scrapes, on the scraped port."""
    index = Index(objects)
    out: list[PodFlow] = []
    for monitor in (o for o in objects if o.get("kind") in ("ServiceMonitor", "PodMonitor")):
        name = monitor["metadata"]["name"]
        for ns in _monitor_namespaces(monitor):
            if monitor["kind"] == "ServiceMonitor":
                endpoints = monitor["spec"].get("endpoints", [])
                for (svc_ns, _), service in sorted(index.services.items(), key=lambda kv: kv[0]):
                    if svc_ns != ns or not matches(monitor["spec"]["selector"],
                                                   service["metadata"].get("labels") or {}):
                        continue
                    numbers: set[int] = set()
                    templates: list[Obj] = []
                    for endpoint in endpoints:
                        if "port" in endpoint:  # a port of the Service, by name
                            for port in service["spec"].get("ports", []):
                                if port.get("name") == endpoint["port"]:
                                    found, ports = index.target_ports(ns, service, port)
                                    templates += found
                                    numbers |= ports
                        elif "targetPort" in endpoint:  # a port of the pods behind it, by name or number
                            found, ports = index.target_ports(ns, service, {"port": 0,
                                                                            "targetPort": endpoint["targetPort"]})
                            templates += found
                            numbers |= ports
                    if numbers and not _host_network(templates) and ns != monitoring_namespace:
                        out.append(PodFlow("prometheus", service["metadata"]["name"], monitoring_namespace,
                                           prometheus, ns, pods(service["spec"]["selector"]),
                                           tuple(sorted(numbers))))
            else:
                selector = monitor["spec"]["selector"]
                if selector.get("matchExpressions"):
                    raise FlowError(f"PodMonitor {name}: matchExpressions are not supported by the derived fence")
                templates = index.pods_of(ns, selector)
                wanted = {e.get("port") for e in monitor["spec"].get("podMetricsEndpoints", [])}
                numbers = {n for w in wanted if w for n in index.container_ports(templates, w)}
                if ns == monitoring_namespace or _host_network(templates):
                    continue
                if not numbers and templates:
                    raise FlowError(f"PodMonitor {ns}/{name}: no pod has the port {sorted(w for w in wanted if w)}")
                out.append(PodFlow("prometheus", name, monitoring_namespace, prometheus, ns,
                                   pods(selector.get("matchLabels") or {}), tuple(sorted(numbers))))
    return merge(out)


def merge(flows: Iterable[PodFlow]) -> list[PodFlow]:
    """One flow per (source, destination pods), its ports the union."""
    by: dict[tuple[str, str, Pods, str, Pods], PodFlow] = {}
    for f in flows:
        key = (f.source, f.src_namespace, f.src_pods, f.dst_namespace, f.dst_pods)
        if key in by:
            old = by[key]
            by[key] = PodFlow(f.source, min(old.name, f.name), f.src_namespace, f.src_pods, f.dst_namespace,
                              f.dst_pods, tuple(sorted({*old.ports, *f.ports})))
        else:
            by[key] = f
    return [by[k] for k in sorted(by)]
