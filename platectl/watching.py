"""Follow an environment's Argo CD Applications through the Kubernetes API (the official client and
the user's kubeconfig) until every one is Synced to the published revision and Healthy, one turns
Degraded, or time runs out. The API is listed every ``interval`` seconds; a lost connection is
reported and retried until the deadline.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import envs

GROUP, VERSION, PLURAL = "argoproj.io", "v1alpha1", "applications"


class WaitError(Exception):
    """The wait ended badly (degraded, timed out, no Application); ``str()`` says which and why."""


@dataclass(frozen=True)
class AppState:
    name: str
    sync: str
    health: str
    revisions: tuple[str, ...]
    message: str
    degraded: tuple[str, ...]  # "Kind namespace/name: message" of every degraded object

    @property
    def line(self) -> str:
        revision = self.revisions[0][:12] if self.revisions else "-"
        return f"{self.name}: {self.sync}/{self.health} at {revision}" + (f" ({self.message})" if self.message else "")


def state(app: dict) -> AppState:
    status = app.get("status") or {}
    sync = status.get("sync") or {}
    revisions = tuple(r for r in (sync.get("revision"), *(sync.get("revisions") or [])) if r)
    health = status.get("health") or {}
    message = health.get("message") or ((status.get("operationState") or {}).get("message") or "")
    degraded = tuple(
        f"{r.get('kind')} {r.get('namespace', '') + '/' if r.get('namespace') else ''}{r.get('name')}: "
        f"{(r.get('health') or {}).get('message', '')}".rstrip(": ")
        for r in status.get("resources") or [] if (r.get("health") or {}).get("status") == "Degraded")
    return AppState(app["metadata"]["name"], sync.get("status", "Unknown"), health.get("status", "Unknown"),
                    revisions, message, degraded)


def api(kubeconfig: str | None = None, context: str | None = None):
    """CustomObjectsApi for the user's kubeconfig (``KUBECONFIG`` or ~/.kube/config)."""
    from kubernetes import client, config

    config.load_kube_config(config_file=kubeconfig, context=context)
    return client.CustomObjectsApi()


def selector(name: str) -> str:
    """The Applications of an environment, or of a cluster's platform (and its environments' roots)."""
    kind = "cluster" if name in envs.cluster_names() else "environment"
    return f"plate.io/{kind}={name}"


def list_states(custom_objects, namespace: str, label_selector: str) -> list[AppState]:
    items = custom_objects.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL,
                                                         label_selector=label_selector)["items"]
    return sorted((state(a) for a in items), key=lambda s: s.name)


def ready(s: AppState, current: Callable[[str], bool] | None) -> bool:
    at_revision = current is None or any(current(r) for r in s.revisions)
    return s.sync == "Synced" and s.health == "Healthy" and at_revision


def wait(custom_objects, namespace: str, label_selector: str, *, current: Callable[[str], bool] | None = None,
         timeout: float = 600, interval: float = 2, show: Callable[[list[AppState]], None] = lambda _: None,
         say: Callable[[str], None] = lambda _: None, clock=time.monotonic, sleep=time.sleep) -> list[AppState]:
    """Until every Application is ready (``current(revision)``: the published revision or later)."""
    deadline = clock() + timeout
    states: list[AppState] = []
    lost = False
    while True:
        try:
            states = list_states(custom_objects, namespace, label_selector)
            if lost:
                say("connection to the Kubernetes API restored")
                lost = False
        except Exception as exc:  # noqa: BLE001 - any API or transport error: report, retry until the deadline
            if not lost:
                say(f"lost the connection to the Kubernetes API ({type(exc).__name__}); retrying")
            lost = True
        else:
            if not states:
                raise WaitError(f"no Application matches {label_selector} in {namespace}: is it bootstrapped?")
            show(states)
            bad = [s for s in states if s.health == "Degraded"]
            if bad:
                details = "; ".join(f"{s.name}: {', '.join(s.degraded) or s.message or 'Degraded'}" for s in bad)
                raise WaitError(f"degraded: {details}")
            if all(ready(s, current) for s in states):
                return states
        if clock() >= deadline:
            waiting = ", ".join(s.line for s in states if not ready(s, current)) or "the Kubernetes API"
            raise WaitError(f"timed out after {timeout:g}s waiting for {waiting}")
        sleep(interval)


def access(name: str) -> list[str]:
    """Where the environment's (or the cluster's tools') services can be reached."""
    platform = envs.load_platform()
    if name in platform.environments:
        env = platform.environments[name]
        scheme = "https" if env.ingress.tls else "http"
        return [f"{scheme}://{route.host}{path} -> plate-{target}" for _, route in sorted(env.routes.items())
                for path, target in sorted(route.paths.items(), key=lambda kv: (-len(kv[0]), kv[0]))]
    cluster = platform.clusters[name]
    scheme = "https" if cluster.ingress.tls else "http"
    tools = {"argocd": "Argo CD", "grafana": "Grafana", "harbor": "Harbor", "jenkins": "Jenkins",
             "openbao": "OpenBao", "prometheus": "Prometheus"}
    if cluster.dashboard.ingress:
        tools["dashboard"] = "Kubernetes Dashboard"
    return [f"{scheme}://{getattr(cluster.hosts, tool)}/ -> {label}" for tool, label in sorted(tools.items())]
