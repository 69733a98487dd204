"""publish --wait and status against a small Kubernetes API on loopback that lists and watches Argo CD
Applications: a slow sync, a degraded app, a timeout and a lost connection, through the official client and
a kubeconfig."""
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

PATH = "/apis/argoproj.io/v1alpha1/namespaces/argocd-staging/applications"  # staging's own namespace


def app(name: str, sync: str, health: str, revision: str, degraded: dict | None = None) -> dict:
    resources = [{"kind": "Deployment", "namespace": "plate-stg", "name": "plate-web",
                  "health": {"status": "Degraded", **degraded}}] if degraded else []
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": name, "namespace": "argocd-staging", "labels": {"plate.io/environment": "staging"}},
            "status": {"sync": {"status": sync, "revision": revision}, "health": {"status": health},
                       "resources": resources}}


class FakeApi:
    """Answers GET <PATH>: a list with the next step of ``lists(n)`` (Applications, an HTTP status, or
    "drop": the connection closed without an answer), a watch (``?watch=true``) with the next step of
    ``watches(n)`` (a list of (type, Application) events, then the stream ends; or "drop")."""

    def __init__(self, lists, watches=lambda n: []):
        self.lists, self.watches = lists, watches
        self.requests = self.watch_requests = 0
        self.selectors: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_):
                pass

            def do_GET(self):  # noqa: N802
                if not self.path.startswith(PATH):
                    self.send_error(404)
                    return
                api.selectors.append(self.path)
                watching_ = "watch=true" in self.path or "watch=True" in self.path
                if watching_:
                    step = api.watches(api.watch_requests)
                    api.watch_requests += 1
                else:
                    step = api.lists(api.requests)
                    api.requests += 1
                if step == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                if isinstance(step, int):
                    self.send_error(step)
                    return
                if watching_:  # events as JSON lines; the end of the body ends the watch
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    for kind, obj in step:
                        self.wfile.write(json.dumps({"type": kind, "object": obj}).encode() + b"\n")
                        self.wfile.flush()
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


def _wait(kubeconfig: Path, script_revision: str, **kw):
    client = watching.api(str(kubeconfig))
    lines: list[str] = []
    states = watching.wait(client, "argocd-staging", "plate.io/environment=staging", current=lambda r: r == script_revision,
                           interval=0.02, say=lines.append, **kw)
    return states, lines


def test_a_slow_sync_is_waited_for(fake):
    progressing = [app("staging-plate-web", "OutOfSync", "Progressing", "old"),
                   app("staging-plate-api", "Synced", "Healthy", "old")]
    api, kubeconfig = fake(lambda n: progressing, lambda n: [
        ("MODIFIED", app("staging-plate-api", "Synced", "Healthy", "new")),
        ("MODIFIED", app("staging-plate-web", "Synced", "Progressing", "new")),
        ("MODIFIED", app("staging-plate-web", "Synced", "Healthy", "new"))])
    states, _ = _wait(kubeconfig, "new", timeout=10)
    assert [s.line for s in states] == ["staging-plate-api: Synced/Healthy at new", "staging-plate-web: Synced/Healthy at new"]
    assert (api.requests, api.watch_requests) == (1, 1), "one list, then the watch carried the sync"
    assert "labelSelector=plate.io/environment%3Dstaging" in api.selectors[0]
    assert "resourceVersion=1" in api.selectors[1]


def test_a_degraded_application_stops_the_wait_naming_the_object(fake):
    api, kubeconfig = fake(lambda n: [app("staging-plate-web", "OutOfSync", "Progressing", "old")], lambda n: [
        ("MODIFIED", app("staging-plate-web", "Synced", "Degraded", "new",
                         {"message": "Deployment exceeded its progress deadline"}))])
    with pytest.raises(watching.WaitError) as caught:
        _wait(kubeconfig, "new", timeout=10)
    assert str(caught.value) == ("degraded: staging-plate-web: Deployment plate-stg/plate-web: "
                                 "Deployment exceeded its progress deadline")


def test_a_sync_that_never_ends_times_out(fake):
    api, kubeconfig = fake(lambda n: [app("staging-plate-web", "OutOfSync", "Progressing", "old")])
    with pytest.raises(watching.WaitError, match=r"^timed out after 0.3s waiting for "
                                                 r"staging-plate-web: OutOfSync/Progressing at old$"):
        _wait(kubeconfig, "new", timeout=0.3)
    assert api.requests > 3 and api.watch_requests > 3, "watches that end are followed by a new list"


def test_a_lost_connection_is_reported_and_retried(fake):
    def lists(n):
        if n == 0:
            return "drop"
        if n == 1:
            return 503
        if n == 2:
            return [app("staging-plate-web", "OutOfSync", "Progressing", "old")]
        return [app("staging-plate-web", "Synced", "Healthy", "new")]
    api, kubeconfig = fake(lists, lambda n: "drop")  # the watch connection drops too
    states, lines = _wait(kubeconfig, "new", timeout=20)
    assert [s.health for s in states] == ["Healthy"]
    assert lines[0].startswith("lost the connection to the Kubernetes API (")
    assert "connection to the Kubernetes API restored" in lines
    assert api.watch_requests >= 1


def test_status_prints_each_application(fake):
    api, kubeconfig = fake(lambda n: [app("staging-plate-web", "Synced", "Degraded", "abc",
                                          {"message": "CrashLoopBackOff"})])
    result = CliRunner().invoke(cli, ["status", "--env", "staging", "--kubeconfig", str(kubeconfig)])
    assert result.exit_code == 1
    assert result.output == ("staging-plate-web: Synced/Degraded at abc\n"
                             "    Deployment plate-stg/plate-web: CrashLoopBackOff\n"
                             "0/1 synced and healthy\n")


def test_publish_wait_reports_where_the_environment_is_served(fake, source, remote):
    before = [app("staging-plate-web", "Synced", "Healthy", "before")]
    api, kubeconfig = fake(lambda n: before, lambda n: [
        ("MODIFIED", app("staging-plate-web", "Synced", "Healthy", run_git("rev-parse", "rendered", cwd=remote)))])
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


def test_publish_wait_times_out_with_what_it_waited_for(fake, source, remote):
    api, kubeconfig = fake(lambda n: [app("staging-plate-web", "OutOfSync", "Progressing", "before")])
    result = CliRunner().invoke(cli, ["publish", "--env", "staging", "--wait", "--interval", "0.05", "--timeout", "1",
                                      "--kubeconfig", str(kubeconfig)])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == ("error: timed out after 1s waiting for "
                                              "staging-plate-web: OutOfSync/Progressing at before")


def test_publish_wait_reconnects_after_a_lost_connection(fake, source, remote):
    """The API closes the TCP connection without an answer, more often than the client's own retries
    absorb (urllib3 retries a dropped socket 3 times), so the wait itself sees the transport error."""
    def lists(n):
        if n < 8:
            return "drop"
        return [app("staging-plate-web", "Synced", "Healthy", run_git("rev-parse", "rendered", cwd=remote))]
    api, kubeconfig = fake(lists, lambda n: "drop")
    result = CliRunner().invoke(cli, ["publish", "--env", "staging", "--wait", "--interval", "0.05", "--timeout", "30",
                                      "--kubeconfig", str(kubeconfig)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "lost the connection to the Kubernetes API (MaxRetryError); retrying" in lines
    assert "connection to the Kubernetes API restored" in lines
    assert "  https://stg.cocdev.co.kr/ -> plate-web" in lines
    assert api.requests >= 9  # two listings failed after their retries, the third succeeded


def test_publish_wait_reconnects_after_the_api_answers_errors(fake, source, remote):
    def lists(n):
        if n < 2:
            return 503
        return [app("staging-plate-web", "Synced", "Healthy", run_git("rev-parse", "rendered", cwd=remote))]
    api, kubeconfig = fake(lists)
    result = CliRunner().invoke(cli, ["publish", "--env", "staging", "--wait", "--interval", "0.05", "--timeout", "30",
                                      "--kubeconfig", str(kubeconfig)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "lost the connection to the Kubernetes API (ServiceException); retrying" in lines
    assert "connection to the Kubernetes API restored" in lines


def test_status_without_a_kubeconfig_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    result = CliRunner().invoke(cli, ["status", "--env", "staging"])
    assert result.exit_code == 1
    assert result.output == ("error: cannot read the Applications of staging: Invalid kube-config file. No configuration "
                             f"found. (kubeconfig: {tmp_path}/.kube/config, which does not exist; set --kubeconfig or "
                             "KUBECONFIG)\n")
