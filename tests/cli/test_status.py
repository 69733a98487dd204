"""publish --wait and status against a small Kubernetes API on loopback that lists Argo CD Applications:
a slow sync, a degraded app, a timeout and a lost connection, through the official client and a kubeconfig."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from platectl import watching
from platectl.cli import cli
from tests.cli.conftest import run_git

PATH = "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications"


def app(name: str, sync: str, health: str, revision: str, degraded: dict | None = None) -> dict:
    resources = [{"kind": "Deployment", "namespace": "plate-stg", "name": "plate-web",
                  "health": {"status": "Degraded", **degraded}}] if degraded else []
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": name, "namespace": "argocd", "labels": {"plate.io/environment": "staging"}},
            "status": {"sync": {"status": sync, "revision": revision}, "health": {"status": health},
                       "resources": resources}}


class FakeApi:
    """Answers GET <PATH> with the next step of ``script(n)``: a list of Applications, an HTTP status,
    or "drop" (the connection is closed without an answer)."""

    def __init__(self, script):
        self.script, self.requests, self.selectors = script, 0, []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_):
                pass

            def do_GET(self):  # noqa: N802
                if not self.path.startswith(PATH):
                    self.send_error(404)
                    return
                api.selectors.append(self.path)
                step = api.script(api.requests)
                api.requests += 1
                if step == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                if isinstance(step, int):
                    self.send_error(step)
                    return
                body = json.dumps({"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationList",
                                   "metadata": {"resourceVersion": str(api.requests)}, "items": step}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def kubeconfig(self, folder: Path) -> Path:
        path = folder / "kubeconfig"
        path.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "loopback",
            "clusters": [{"name": "loopback", "cluster": {"server": f"http://127.0.0.1:{self.server.server_port}"}}],
            "users": [{"name": "ci", "user": {"token": "test-token-not-a-secret"}}],
            "contexts": [{"name": "loopback", "context": {"cluster": "loopback", "user": "ci"}}]}))
        return path


@pytest.fixture
def fake(tmp_path):
    servers = []

    def start(script):
        api = FakeApi(script)
        servers.append(api)
        return api, api.kubeconfig(tmp_path)

    yield start
    for api in servers:
        api.server.shutdown()


def _wait(kubeconfig: Path, script_revision: str, **kw):
    client = watching.api(str(kubeconfig))
    lines: list[str] = []
    states = watching.wait(client, "argocd", "plate.io/environment=staging", current=lambda r: r == script_revision,
                           interval=0.02, say=lines.append, **kw)
    return states, lines


def test_a_slow_sync_is_waited_for(fake):
    def script(n):
        if n < 3:
            return [app("staging-plate-web", "OutOfSync", "Progressing", "old"), app("staging-plate-api", "Synced",
                                                                                      "Healthy", "old")]
        return [app("staging-plate-web", "Synced", "Healthy", "new"), app("staging-plate-api", "Synced", "Healthy", "new")]
    api, kubeconfig = fake(script)
    states, _ = _wait(kubeconfig, "new", timeout=10)
    assert [s.line for s in states] == ["staging-plate-api: Synced/Healthy at new", "staging-plate-web: Synced/Healthy at new"]
    assert api.requests == 4
    assert "labelSelector=plate.io/environment%3Dstaging" in api.selectors[0]


def test_a_degraded_application_stops_the_wait_naming_the_object(fake):
    api, kubeconfig = fake(lambda n: [app("staging-plate-web", "Synced", "Degraded", "new",
                                          {"message": "Deployment exceeded its progress deadline"})])
    with pytest.raises(watching.WaitError) as caught:
        _wait(kubeconfig, "new", timeout=10)
    assert str(caught.value) == ("degraded: staging-plate-web: Deployment plate-stg/plate-web: "
                                 "Deployment exceeded its progress deadline")


def test_a_sync_that_never_ends_times_out(fake):
    api, kubeconfig = fake(lambda n: [app("staging-plate-web", "OutOfSync", "Progressing", "old")])
    with pytest.raises(watching.WaitError, match=r"^timed out after 0.3s waiting for "
                                                 r"staging-plate-web: OutOfSync/Progressing at old$"):
        _wait(kubeconfig, "new", timeout=0.3)
    assert api.requests > 3


def test_a_lost_connection_is_reported_and_retried(fake):
    def script(n):
        if n < 2:
            return "drop"
        if n < 4:
            return 503
        return [app("staging-plate-web", "Synced", "Healthy", "new")]
    api, kubeconfig = fake(script)
    states, lines = _wait(kubeconfig, "new", timeout=20)
    assert [s.health for s in states] == ["Healthy"]
    assert lines[0].startswith("lost the connection to the Kubernetes API (")
    assert lines[-1] == "connection to the Kubernetes API restored"


def test_status_prints_each_application(fake):
    api, kubeconfig = fake(lambda n: [app("staging-plate-web", "Synced", "Degraded", "abc",
                                          {"message": "CrashLoopBackOff"})])
    result = CliRunner().invoke(cli, ["status", "--env", "staging", "--kubeconfig", str(kubeconfig)])
    assert result.exit_code == 1
    assert result.output == ("staging-plate-web: Synced/Degraded at abc\n"
                             "    Deployment plate-stg/plate-web: CrashLoopBackOff\n"
                             "0/1 synced and healthy\n")


def test_publish_wait_reports_where_the_environment_is_served(fake, source, remote):
    def script(n):
        tip = run_git("rev-parse", "rendered", cwd=remote) if n else "before"
        return [app("staging-plate-web", "Synced", "Healthy", tip if n > 1 else "before")]
    api, kubeconfig = fake(script)
    result = CliRunner().invoke(cli, ["publish", "--env", "staging", "--wait", "--interval", "0.02", "--timeout", "30",
                                      "--kubeconfig", str(kubeconfig)])
    assert result.exit_code == 0, result.output
    tip = run_git("rev-parse", "rendered", cwd=remote)
    lines = result.output.splitlines()
    assert f"staging is synced and healthy at {tip[:12]}; it is served at:" in lines
    assert lines[-4:] == ["  https://stg.cocdev.co.kr/admin -> plate-admin", "  https://stg.cocdev.co.kr/api -> plate-server",
                          "  https://stg.cocdev.co.kr/ -> plate-web", "  https://llm.cocdev.co.kr/ -> plate-llm"]


def test_publish_wait_fails_when_the_environment_degrades(fake, source, remote):
    api, kubeconfig = fake(lambda n: [app("staging-plate-web", "Synced", "Degraded", "x", {"message": "ImagePullBackOff"})])
    result = CliRunner().invoke(cli, ["publish", "--env", "staging", "--wait", "--interval", "0.02",
                                      "--kubeconfig", str(kubeconfig)])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == ("error: degraded: staging-plate-web: Deployment plate-stg/plate-web: "
                                              "ImagePullBackOff")
    assert run_git("tag", "--list", cwd=remote) == "publish/staging/1", "the publish itself stands"
