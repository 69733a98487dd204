"""Vendored charts: pinned by name, version and sha256 in charts/chartfile.yaml; every values key we pass
exists in the chart (its values.yaml, its subcharts', or its templates' reads); a typo is an error."""
from __future__ import annotations

import hashlib

import pytest
import yaml

import envs
from components import versions
from composition.chart_values import schema, unknown_keys
from envs import ConfigError
from platectl import render

PINNED = [versions.ARGO_CD, versions.CERT_MANAGER, versions.EXTERNAL_SECRETS, versions.HARBOR, versions.JENKINS,
          versions.KUBE_PROMETHEUS_STACK, versions.PROMETHEUS_OPERATOR_CRDS, versions.METALLB, versions.CSI_DRIVER_NFS,
          versions.ENVOY_GATEWAY, versions.DEX, versions.HEADLAMP]


@pytest.mark.parametrize("chart", PINNED, ids=lambda c: c.name)
def test_every_vendored_archive_matches_its_pin(chart):
    assert chart.archive is not None and chart.archive.is_file(), chart.name
    assert hashlib.sha256(chart.archive.read_bytes()).hexdigest() == chart.sha256
    meta = yaml.safe_load(__import__("tarfile").open(chart.archive).extractfile(f"{chart.name}/Chart.yaml"))
    assert (meta["name"], str(meta["version"])) == (chart.name, chart.version)


def test_every_chart_passes_the_values_check(infos):
    checked = set()
    for by_component in infos.values():
        for info in by_component.values():
            if info.helm is None or info.helm.archive is None:
                continue
            chart = next(c for c in PINNED if c.name == info.helm.chart)
            checked.add(chart.name)
            assert unknown_keys(chart.archive, info.helm.values, info.helm.free_form) == [], info.name
    assert checked == {c.name for c in PINNED}


def test_a_misspelt_values_key_is_found_with_its_path():
    assert unknown_keys(versions.JENKINS.archive, {"controller": {"replicaCont": 2, "admin": {"existingSecret": "x"}}}) \
        == ["controller.replicaCont"]
    assert unknown_keys(versions.ARGO_CD.archive, {"server": {"replicaCont": 2}}) == ["server.replicaCont"]
    # subcharts' values are there under their name: kube-prometheus-stack's grafana, metallb's frr-k8s
    assert "grafana" in schema(versions.KUBE_PROMETHEUS_STACK.archive).defaults
    assert unknown_keys(versions.METALLB.archive, {"frr-k8s": {"prometheus": {"serviceMonitor": {"enabled": True}}}}) == []


@pytest.mark.parametrize("chart", PINNED, ids=lambda c: c.name)
def test_the_render_refuses_a_values_key_the_chart_does_not_read(chart, infos, tmp_path, monkeypatch):
    """A misspelt key given to any vendored chart stops the render, naming the component and the key."""
    from components.core import HelmRelease
    original = HelmRelease.__init__
    [component] = {info.name for by in infos.values() for info in by.values()
                   if info.helm is not None and info.helm.chart == chart.name}

    def with_typo(self, scope, name, namespace, pinned, values, **kw):
        original(self, scope, name, namespace, pinned, values, **kw)
        if pinned.name == chart.name:
            self._info["helm"].values["replicaCont"] = 2

    monkeypatch.setattr(HelmRelease, "__init__", with_typo)
    with pytest.raises(ConfigError) as caught:
        render.synth(tmp_path / "dist", warn=lambda _: None)
    assert str(caught.value) == (f"cluster 'shared', component '{component}', field 'values.replicaCont': the chart "
                                 f"{chart.name} {chart.version} has no such value (not in its values.yaml, not read "
                                 "by its templates)")
    assert not (tmp_path / "dist").exists()


def test_metallb_runs_without_frr_k8s(objects):
    """MetalLB 0.16 renders FRR-K8s (a privileged DaemonSet) unless told not to: the render has none."""
    metallb = [o for o in objects if o.component == "metallb"]
    assert {o.kind for o in metallb} >= {"DaemonSet", "Deployment"}
    assert not [o.file for o in metallb if "frr" in o.name], "FRR-K8s is rendered"
    speaker = next(o for o in metallb if o.kind == "DaemonSet" and o.name == "metallb-speaker")
    assert not [c["name"] for c in speaker.data["spec"]["template"]["spec"]["containers"] if "frr" in c["name"]]
    assert envs.load_cluster("shared").metallb.pools


# --- updating a vendored chart from a chart repository served on loopback ---------------------------

def _chart_archive(name: str, version: str) -> bytes:
    import io
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path, text in ((f"{name}/Chart.yaml", f"apiVersion: v2\nname: {name}\nversion: {version}\n"),
                           (f"{name}/values.yaml", "replicaCount: 1\n")):
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture
def repository(tmp_path):
    """A chart repository on loopback: index.yaml and two versions of ``demo`` (one with a wrong digest)."""
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    served = tmp_path / "repo"
    served.mkdir()
    good, bad = _chart_archive("demo", "1.1.0"), _chart_archive("demo", "1.2.0")
    (served / "demo-1.1.0.tgz").write_bytes(good)
    (served / "demo-1.2.0.tgz").write_bytes(bad)
    index = {"apiVersion": "v1", "entries": {"demo": [
        {"name": "demo", "version": "1.1.0", "urls": ["demo-1.1.0.tgz"], "digest": hashlib.sha256(good).hexdigest()},
        {"name": "demo", "version": "1.2.0", "urls": ["demo-1.2.0.tgz"], "digest": "0" * 64}]}}
    (served / "index.yaml").write_text(yaml.safe_dump(index))

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", good
    server.shutdown()


@pytest.fixture
def vendored(tmp_path):
    folder = tmp_path / "charts"
    folder.mkdir()
    old, other = _chart_archive("demo", "1.0.0"), _chart_archive("other", "2.0.0")
    (folder / "demo-1.0.0.tgz").write_bytes(old)
    (folder / "other-2.0.0.tgz").write_bytes(other)
    (folder / "chartfile.yaml").write_text(
        "# pins\ncharts:\n  - name: demo\n    version: \"1.0.0\"\n"
        "    repository: https://charts.example.org  # also oci://demo.example.org/demo\n"
        f"    file: demo-1.0.0.tgz\n    sha256: {hashlib.sha256(old).hexdigest()}\n"
        "  # the other chart, untouched\n"
        "  - name: other\n    version: \"2.0.0\"\n    repository: https://other.example.org\n"
        f"    file: other-2.0.0.tgz\n    sha256: {hashlib.sha256(other).hexdigest()}\n")
    return folder


def test_update_pulls_verifies_vendors_and_pins(repository, vendored):
    from platectl import charts
    url, good = repository
    with pytest.raises(charts.ChartError, match=r"plain http \(anyone on the way could change the archive"):
        charts.update("demo", "1.1.0", repository=url, folder=vendored)  # a loopback mirror, over http
    digest = charts.update("demo", "1.1.0", repository=url, folder=vendored, insecure=True)
    assert digest == hashlib.sha256(good).hexdigest()
    assert (vendored / "demo-1.1.0.tgz").read_bytes() == good and not (vendored / "demo-1.0.0.tgz").exists()
    pinned = yaml.safe_load((vendored / "chartfile.yaml").read_text())["charts"]
    # the mirror was where it came from; the pin keeps the upstream repository
    assert pinned == [{"name": "demo", "version": "1.1.0", "repository": "https://charts.example.org",
                       "file": "demo-1.1.0.tgz", "sha256": digest},
                      {"name": "other", "version": "2.0.0", "repository": "https://other.example.org",
                       "file": "other-2.0.0.tgz", "sha256": hashlib.sha256(_chart_archive("other", "2.0.0")).hexdigest()}]
    text = (vendored / "chartfile.yaml").read_text()
    assert text.startswith("# pins\n") and "# also oci://demo.example.org/demo" in text  # its comment stays
    assert "  # the other chart, untouched\n" in text
    assert charts.verify(vendored) == []


@pytest.mark.parametrize("version, expected, message", [
    ("1.2.0", None, "differs from the index's 0000"),
    ("1.1.0", "f" * 64, "differs from the expected ffff"),
    ("9.9.9", None, "has no demo 9.9.9"),
])
def test_a_mismatch_is_refused_and_nothing_changes(repository, vendored, version, expected, message):
    from platectl import charts
    url, _ = repository
    before = {p.name: p.read_bytes() for p in vendored.iterdir()}
    with pytest.raises(charts.ChartError, match=message):
        charts.update("demo", version, repository=url, expected=expected, folder=vendored, insecure=True)
    assert {p.name: p.read_bytes() for p in vendored.iterdir()} == before


def test_verify_finds_a_tampered_archive(vendored):
    from platectl import charts
    (vendored / "demo-1.0.0.tgz").write_bytes(b"tampered")
    assert charts.verify(vendored) == ["demo: demo-1.0.0.tgz does not match its sha256 " +
                                       yaml.safe_load((vendored / "chartfile.yaml").read_text())["charts"][0]["sha256"][:12]
                                       + "…"]


def test_jenkins_mounts_the_admin_secret_from_openbao_and_creates_none(objects):
    """The chart mounts controller.admin's Secret only when createSecret is true, and creates its own
    only when no existingSecret is given: both conditions, read from the vendored chart."""
    import tarfile
    with tarfile.open(versions.JENKINS.archive) as tar:
        secret = tar.extractfile("jenkins/templates/secret.yaml").read().decode()
        controller = tar.extractfile("jenkins/templates/jenkins-controller-statefulset.yaml").read().decode()
    assert secret.startswith("{{- if and (not .Values.controller.admin.existingSecret) "
                             "(.Values.controller.admin.createSecret) -}}")
    mount = controller[controller.index("{{- if .Values.controller.admin.createSecret }}"):][:700]
    assert "name: {{ .Values.controller.admin.existingSecret | default" in mount and "chart-admin-password" in mount
    controller = next(o for o in objects if o.kind == "StatefulSet" and o.name == "jenkins")
    volumes = controller.data["spec"]["template"]["spec"]["volumes"]
    projected = [s["secret"]["name"] for v in volumes for s in (v.get("projected") or {}).get("sources", [])
                 if "secret" in s]
    assert "jenkins-admin" in projected, volumes
    assert not [o.file for o in objects if o.kind == "Secret" and o.namespace == "jenkins"], "the chart made a Secret"
    es = next(o for o in objects if o.kind == "ExternalSecret" and o.name == "jenkins-admin")
    assert es.namespace == "jenkins"


def _chart_secret_names(archive, release: str) -> set[str]:
    """Names of the Secrets a chart's templates create (fullname-based helpers resolved for ``release``)."""
    import re
    import tarfile
    with tarfile.open(archive) as tar:
        files = {m.name: tar.extractfile(m).read().decode() for m in tar.getmembers()
                 if m.isfile() and "/templates/" in m.name and "/charts/" not in m.name}
    helpers = "\n".join(t for n, t in files.items() if n.endswith(".tpl"))
    suffix = dict(re.findall(r'define "([\w.]+)" -}}\s*{{- printf "%s-([a-z-]+)" \(include "[\w.]+fullname" \.\) -}}',
                             helpers))
    names = set()
    for text in files.values():
        for doc in text.split("\n---"):
            if re.search(r"^kind: Secret$", doc, re.M):
                m = re.search(r'^  name: "?{{ template "([\w.]+)" \. }}"?', doc, re.M)
                if m and m.group(1) in suffix:
                    names.add(f"{release}-{suffix[m.group(1)]}")
    return names


def test_no_secret_has_two_writers_harbor_and_our_external_secrets(objects):
    """The chart renders Secrets of its own names (harbor-registry, harbor-trivy) with data it has no
    existing-secret setting for: our ExternalSecret of the same name replaces each, so the render holds
    one writer per Secret."""
    chart = _chart_secret_names(versions.HARBOR.archive, "harbor")
    assert {"harbor-core", "harbor-jobservice", "harbor-registry"} <= chart
    rendered = {o.name for o in objects if o.kind == "Secret" and o.namespace == "harbor"}
    ours = {o.data["spec"]["target"]["name"] for o in objects if o.kind == "ExternalSecret" and o.namespace == "harbor"}
    assert ours and not ours & rendered, f"written by both the chart and an ExternalSecret: {sorted(ours & rendered)}"
    assert {"harbor-registry", "harbor-trivy"} <= ours
    trivy = next(o for o in objects if o.kind == "ExternalSecret" and o.name == "harbor-trivy").data["spec"]
    assert trivy["target"]["template"]["mergePolicy"] == "Merge"
    assert trivy["target"]["template"]["data"]["redisURL"].startswith("redis://harbor-redis:6379/")


def test_an_external_secret_missing_a_key_of_the_chart_secret_it_replaces_is_an_error(tmp_path, monkeypatch):
    from components.tools import harbor

    monkeypatch.setitem(harbor.Harbor.chart_secret_literals, "harbor-trivy", ())
    with pytest.raises(render.RenderError, match="the chart's Secret 'harbor-trivy' has keys redisURL that the "
                                                 "ExternalSecret replacing it does not provide"):
        render.synth(tmp_path / "dist", warn=lambda _: None)
    assert not (tmp_path / "dist").exists()


def test_kube_prometheus_stack_renders_nothing_in_kube_system(objects):
    """The control-plane exporters would render Services in kube-system, where the tools project may not
    deploy: the render has nothing of the chart there (and the project check would say so)."""
    kps = [o for o in objects if o.component == "kube-prometheus-stack"]
    assert kps and not [o.file for o in kps if o.namespace == "kube-system"]
