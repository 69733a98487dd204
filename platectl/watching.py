"""Follow an environment's Argo CD Applications through the Kubernetes API (the official client and
the user's kubeconfig) until every one is Synced to the published revision and Healthy, one turns
Degraded, or time runs out: list, then watch from the list's resourceVersion; a watch that ends
or a lost connection is reported and followed by a new list, until the deadline.
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
    import os

    from kubernetes import client, config

    tried = kubeconfig or os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
    try:
        # the path we name, not the client's default: that one is KUBECONFIG as it was when the client
        # was first imported (a list of paths is merged by the client, as kubectl does)
        config.load_kube_config(config_file=tried, context=context)
    except Exception as exc:  # noqa: BLE001 - the client's own messages do not say which file it read
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        missing = "" if os.path.exists(tried.split(os.pathsep)[0]) else ", which does not exist"
        where = f"kubeconfig: {tried}{missing}" + (f", context {context}" if context else "")
        raise RuntimeError(f"{first} ({where}; set --kubeconfig or KUBECONFIG)") from None
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


def _verdict(apps: dict[str, AppState], current: Callable[[str], bool] | None, label_selector: str,
             namespace: str) -> bool:
    """True when every Application is ready; raises when one is degraded or none matches."""
    if not apps:
        raise WaitError(f"no Application matches {label_selector} in {namespace}: is it bootstrapped?")
    bad = [s for s in apps.values() if s.health == "Degraded"]
    if bad:
        details = "; ".join(f"{s.name}: {', '.join(s.degraded) or s.message or 'Degraded'}"
                            for s in sorted(bad, key=lambda s: s.name))
        raise WaitError(f"degraded: {details}")
    return all(ready(s, current) for s in apps.values())


def wait(custom_objects, namespace: str, label_selector: str, *, current: Callable[[str], bool] | None = None,
         timeout: float = 600, interval: float = 2, show: Callable[[list[AppState]], None] = lambda _: None,
         say: Callable[[str], None] = lambda _: None, clock=time.monotonic, sleep=time.sleep) -> list[AppState]:
    """Until every Application is ready (``current(revision)``: the published revision or later).

    Lists the Applications, then watches them from that list's resourceVersion; when the watch ends
    (the server's timeout, a lost connection) it lists again, until the deadline."""
    from kubernetes import watch

    deadline = clock() + timeout
    apps: dict[str, AppState] = {}
    lost = False

    def done() -> bool:
        show(sorted(apps.values(), key=lambda s: s.name))
        return _verdict(apps, current, label_selector, namespace)

    while True:
        try:
            listing = custom_objects.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL,
                                                                   label_selector=label_selector)
            if lost:
                say("connection to the Kubernetes API restored")
                lost = False
            apps = {a["metadata"]["name"]: state(a) for a in listing["items"]}
            if done():
                return sorted(apps.values(), key=lambda s: s.name)
            remaining = deadline - clock()
            if remaining > 0:
                stream = watch.Watch().stream(
                    custom_objects.list_namespaced_custom_object, GROUP, VERSION, namespace, PLURAL,
                    label_selector=label_selector, resource_version=listing["metadata"].get("resourceVersion"),
                    timeout_seconds=max(1, int(min(remaining, 300))))
                for event in stream:
                    obj = event["object"]
                    if event["type"] == "DELETED":
                        apps.pop(obj["metadata"]["name"], None)
                    elif event["type"] in ("ADDED", "MODIFIED"):
                        apps[obj["metadata"]["name"]] = state(obj)
                    if done():
                        return sorted(apps.values(), key=lambda s: s.name)
                    if clock() >= deadline:
                        break
        except WaitError:
            raise
        except Exception as exc:  # noqa: BLE001 - any API or transport error: report, retry until the deadline
            if not lost:
                say(f"lost the connection to the Kubernetes API ({type(exc).__name__}); retrying")
            lost = True
        if clock() >= deadline:
            waiting = ", ".join(s.line for s in sorted(apps.values(), key=lambda s: s.name)
                                if not ready(s, current)) or "the Kubernetes API"
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
    # operators' tools (single sign-on through Dex); Prometheus, Alertmanager and OpenBao are internal
    tools = {"argocd": "Argo CD", "grafana": "Grafana", "harbor": "Harbor", "jenkins": "Jenkins",
             "dashboard": "Headlamp", "dex": "Dex (login)"}
    return [f"{scheme}://{getattr(cluster.hosts, tool)}/ -> {label}" for tool, label in sorted(tools.items())]
