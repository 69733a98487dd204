"""The generated typed shapes are current, and the type checker catches a misspelt field and an
enum value outside its literals (the two typos that only a full render's schema check found before)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from envs.base import CLUSTER
from tools import gen_types

ROOT = Path(__file__).resolve().parent.parent


def test_the_committed_types_are_what_the_generator_writes():
    stale = [str(p.relative_to(ROOT)) for p, text in gen_types.generate().items() if p.read_text() != text]
    assert not stale, f"regenerate with `python -m tools.gen_types` and commit: {stale}"


def test_the_types_are_of_the_kubernetes_version_the_clusters_declare():
    assert gen_types.KUBERNETES_VERSION == CLUSTER["kubernetes_version"]


def pyright(*paths: Path) -> list[dict]:
    run = subprocess.run([sys.executable, "-m", "pyright", "--outputjson", *map(str, paths)], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    report = json.loads(run.stdout)
    return [d for d in report["generalDiagnostics"] if d["severity"] == "error"]


BAD = '''
from components.k8s.api import NetworkPolicy
from components.k8s.crds import ExternalSecret

policy: NetworkPolicy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "x"},
                         "spec": {"podSelector": {}, "policyType": ["Ingress"]}}
secret: ExternalSecret = {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "metadata": {"name": "x"},
                          "spec": {"target": {"name": "x", "creationPolicy": "Owned"}}}
'''


def test_pyright_rejects_a_misspelt_field_and_a_wrong_enum_value(tmp_path):
    (tmp_path / "bad.py").write_text(BAD)
    errors = pyright(tmp_path / "bad.py")
    messages = sorted((e["range"]["start"]["line"], e["message"]) for e in errors)
    assert len(messages) == 2, messages
    assert '"policyType" is an undefined item in type "NetworkPolicySpec"' in messages[0][1]
    assert "\"Literal['Owned']\" is not assignable" in messages[1][1]
    (tmp_path / "good.py").write_text(BAD.replace("policyType", "policyTypes").replace('"Owned"', '"Owner"'))
    assert pyright(tmp_path / "good.py") == []


def test_pyright_strict_finds_nothing_in_the_components_the_configuration_and_the_composition():
    """pyproject.toml's [tool.pyright]: components/, envs/ and composition/ in strict mode."""
    run = subprocess.run([sys.executable, "-m", "pyright", "--outputjson"], cwd=ROOT, capture_output=True, text=True,
                         timeout=900)
    report = json.loads(run.stdout)
    errors = [f"{Path(d['file']).relative_to(ROOT)}:{d['range']['start']['line'] + 1}: {d['message'].splitlines()[0]}"
              for d in report["generalDiagnostics"] if d["severity"] == "error"]
    assert report["summary"]["filesAnalyzed"] >= 70
    assert not errors, f"{len(errors)} pyright errors:\n" + "\n".join(errors[:50])


def test_the_render_never_imports_the_generated_types():
    """They are for the type checker: creating ~1,800 TypedDict classes costs half a second per render."""
    code = ("import sys, platectl.render, composition, envs, components.core, components.workload; "
            "print(sorted(m for m in sys.modules if m.startswith('components.k8s')))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_the_committed_configuration_types_are_what_the_generator_writes():
    from tools import gen_config_types
    assert (ROOT / "envs" / "types.py").read_text() == gen_config_types.generate(), \
        "envs/types.py is stale: run python -m tools.gen_config_types and read the diff"


def test_every_configuration_file_is_annotated_with_its_shape():
    files = [ROOT / "envs" / "base.py", *(ROOT / "envs").glob("*/*.py"), *(ROOT / "examples").rglob("*.py")]
    for path in files:
        text = path.read_text()
        names = ("CLUSTER", "ENVIRONMENT") if path.name == "base.py" else ("OVERLAY",)
        for name in names:
            assert f"\n{name}: " in text, f"{path.relative_to(ROOT)}: {name} is not annotated (envs/types.py)"


def test_pyright_rejects_a_misspelt_setting_and_a_wrong_service_kind_in_a_configuration_file(tmp_path):
    staging = (ROOT / "envs" / "environments" / "staging.py").read_text()
    assert '"security_profile": "standard"' in staging and '"kind": "llm"' in staging
    (tmp_path / "misspelt.py").write_text(staging.replace('"security_profile"', '"security_profil"', 1))
    (tmp_path / "kind.py").write_text(staging.replace('"kind": "llm"', '"kind": "lml"', 1))
    (tmp_path / "good.py").write_text(staging)
    errors = pyright(tmp_path / "misspelt.py", tmp_path / "kind.py", tmp_path / "good.py")
    by_file = {Path(e["file"]).name: e for e in errors}
    assert sorted(by_file) == ["kind.py", "misspelt.py"], errors
    assert '"security_profil" is an undefined item in type "EnvironmentConfig"' in by_file["misspelt.py"]["message"]
    # the services' literal matches none of the service shapes (each has its own kind literals)
    services_line = staging.splitlines().index('    "services": {')
    assert by_file["kind.py"]["range"]["start"]["line"] == services_line
    assert "WebServiceConfig | ApiServiceConfig | LlmServiceConfig" in by_file["kind.py"]["message"]
