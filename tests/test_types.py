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
