"""`platectl images pin` against a small OCI registry on loopback: token authentication with the user's
Docker credentials, a digest per tag written next to the tag in the file that writes it (layout kept),
again idempotently; an unknown tag and refused credentials are errors naming the image."""
from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

import envs
from platectl.cli import cli

ROOT = Path(__file__).resolve().parent.parent.parent
USER, PASSWORD = "robot$ci", "not-a-secret"


class Registry:
    """/v2/<repo>/manifests/<tag>: 401 with a Bearer challenge without the token, the digest with it;
    /token: the token, for the right basic credentials."""

    def __init__(self, tags: dict[str, str]):
        self.tags = tags  # "repo:tag" -> digest
        self.requests: list[str] = []
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_):
                pass

            def _manifest(self, body: bool) -> None:
                registry.requests.append(self.path)
                m = re.match(r"^/v2/(.+)/manifests/([^/]+)$", self.path)
                if not m:
                    self.send_error(404)
                    return
                if self.headers.get("Authorization") != "Bearer token-for-ci":
                    self.send_response(401)
                    realm = f"http://127.0.0.1:{registry.port}/token"
                    self.send_header("WWW-Authenticate", f'Bearer realm="{realm}",service="loopback",'
                                                         f'scope="repository:{m[1]}:pull"')
                    self.end_headers()
                    return
                digest = registry.tags.get(f"{m[1]}:{m[2]}")
                if digest is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Docker-Content-Digest", digest)
                self.send_header("Content-Type", "application/vnd.oci.image.index.v1+json")
                self.end_headers()

            def do_HEAD(self):  # noqa: N802
                self._manifest(False)

            def do_GET(self):  # noqa: N802
                if self.path.startswith("/token"):
                    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
                    if self.headers.get("Authorization") != expected:
                        self.send_error(401)
                        return
                    body = json.dumps({"token": "token-for-ci"}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self._manifest(True)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def setup(tmp_path, monkeypatch):
    registry = Registry({})
    host = f"127.0.0.1:{registry.port}"
    registry.tags.update({f"production/{s}:1.4.2": digest(s) for s in ("web", "server", "admin")})
    registry.tags["valkey/valkey:8.1.4-alpine3.22"] = digest("valkey")
    registry.tags["oliver006/redis_exporter:v1.80.1-alpine"] = digest("exporter")
    config = tmp_path / "config"
    shutil.copytree(ROOT / "envs" / "environments", config / "environments")
    shutil.copytree(ROOT / "envs" / "clusters", config / "clusters")
    production = config / "environments" / "production.py"
    text = production.read_text()
    for service in ("web", "server", "admin"):
        text = text.replace(f'"{service}": {{"image": {{"tag": "1.4.2"}}', f'"{service}": {{"image": {{"registry": '
                            f'"{host}", "repository": "production/{service}", "tag": "1.4.2"}}', 1)
        text = re.sub(rf'("{service}": \{{\n\s+"image": )\{{"tag": "1.4.2"\}}',
                      rf'\1{{"registry": "{host}", "repository": "production/{service}", "tag": "1.4.2"}}', text, count=1)
    text = text.replace('        "cache": {\n', '        "cache": {\n            "image": {"registry": "' + host +
                        '", "repository": "valkey/valkey", "tag": "8.1.4-alpine3.22"},\n            "exporter_image": '
                        '{"registry": "' + host + '", "repository": "oliver006/redis_exporter", "tag": "v1.80.1-alpine"},\n',
                        1)
    production.write_text(text)
    docker = tmp_path / "docker"
    docker.mkdir()
    (docker / "config.json").write_text(json.dumps({"auths": {host: {
        "auth": base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(docker))
    monkeypatch.setenv("PLATE_CONFIG", str(config))
    envs.use_config(config)
    yield registry, production, docker
    monkeypatch.delenv("PLATE_CONFIG")  # before reading the shipped configuration back
    envs.use_config(envs.HERE)


def test_pin_writes_each_digest_next_to_its_tag(setup):
    registry, production, _ = setup
    before = production.read_text()
    result = CliRunner().invoke(cli, ["images", "pin", "--env", "production"])
    assert result.exit_code == 0, result.output
    after = production.read_text()
    for service in ("web", "server", "admin"):
        assert f'"repository": "production/{service}", "tag": "1.4.2", "digest": "{digest(service)}"' in after
    assert f'"tag": "8.1.4-alpine3.22", "digest": "{digest("valkey")}"' in after
    # nothing else of the file changed: comments and layout kept
    assert re.sub(r', "digest": "sha256:[0-9a-f]{64}"', "", after) == before
    envs.use_config(production.parent.parent)
    prod = envs.load("production")
    assert prod.services["web"].image.ref.endswith(f"/production/web:1.4.2@{digest('web')}")
    # again: the same digests, the same file
    assert CliRunner().invoke(cli, ["images", "pin", "--env", "production"]).exit_code == 0
    assert production.read_text() == after
    assert any(r.startswith("/v2/production/web/manifests/1.4.2") for r in registry.requests)


def test_an_unknown_tag_and_refused_credentials_are_errors(setup):
    registry, production, docker = setup
    del registry.tags["production/web:1.4.2"]
    result = CliRunner().invoke(cli, ["images", "pin", "--env", "production"])
    assert result.exit_code == 1
    host = f"127.0.0.1:{registry.port}"
    assert f"error: production/web.image: {host}/production/web:1.4.2: no such tag" in result.output
    (docker / "config.json").write_text(json.dumps({"auths": {}}))
    result = CliRunner().invoke(cli, ["images", "pin", "--env", "production", "--dry-run"])
    assert result.exit_code == 1
    assert f"error: production/server.image: {host}: the registry refused anonymous credentials (401; docker login " \
           f"{host})" in result.output


def test_platform_pins_reach_images_nested_in_a_constant_and_each_digest_lands_in_its_own_dict(tmp_path):
    """Fluentd's images, one per log store in FLUENTD: each is pinned, inside its own entry."""
    from dataclasses import replace

    from platectl import images

    pins = [p for p in images.platform_pins() if p.where.startswith("versions.FLUENTD[")]
    assert sorted(p.where for p in pins) == [f"versions.FLUENTD[{k}]" for k in
                                             ("elasticsearch", "forward", "loki", "opensearch")]
    copy = tmp_path / "versions.py"
    shutil.copy(pins[0].file, copy)
    for p in pins:
        assert images.write(replace(p, file=copy), digest(p.where))
    text = copy.read_text()
    for p in pins:
        key = p.where.split("[")[1].rstrip("]")
        entry = text[text.index(f'"{key}": {{', text.index("FLUENTD: ")):].split("}", 1)[0]
        assert f'"tag": "{p.tag}", "digest": "{digest(p.where)}"' in entry, key
    assert re.sub(r', "digest": "sha256:[0-9a-f]{64}"', "", text) == pins[0].file.read_text()
