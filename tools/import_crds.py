"""Regenerate the typed CRD bindings in ``imports/`` from ``../shared/crds``.

Run with ``python -m tools.import_crds``. The CRD YAML is read in place and never copied
into the repository. Each CRD gets its own module name because ``cdk8s import`` writes one
package per API group and two CRDs of one group would otherwise overwrite each other.

ESO's SecretStore/ClusterSecretStore schemas carry ``spec.provider.keepersecurity.getByTitleFallback``,
which jsii rejects (JSII5000, cdk8s-team/cdk8s#1323). For those two we import from a temporary
copy with that single property removed; the copy lives in a temp dir and is deleted afterwards.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CRDS = Path(os.environ.get("PLATE_SHARED_CRDS", ROOT.parent / "shared" / "crds"))

# module name -> CRD file relative to ../shared/crds
IMPORTS: dict[str, str] = {
    "argocd_application": "argo-cd/application-crd.yaml",
    "argocd_appproject": "argo-cd/appproject-crd.yaml",
    "argocd_applicationset": "argo-cd/applicationset-crd.yaml",
    "certmanager_clusterissuer": "cert-manager/cert-manager.io_clusterissuers.yaml",
    "certmanager_certificate": "cert-manager/cert-manager.io_certificates.yaml",
    "eso_externalsecret": "external-secrets/external-secrets.io_externalsecrets.yaml",
    "eso_secretstore": "external-secrets/external-secrets.io_secretstores.yaml",
    "eso_clustersecretstore": "external-secrets/external-secrets.io_clustersecretstores.yaml",
    "metallb_ipaddresspool": "metallb/metallb.io_ipaddresspools.yaml",
    "metallb_l2advertisement": "metallb/metallb.io_l2advertisements.yaml",
    "monitoring_servicemonitor": "prometheus-operator/monitoring.coreos.com_servicemonitors.yaml",
    "monitoring_podmonitor": "prometheus-operator/monitoring.coreos.com_podmonitors.yaml",
    "monitoring_prometheusrule": "prometheus-operator/monitoring.coreos.com_prometheusrules.yaml",
}

# properties jsii cannot bind (see module docstring): (module, dotted path under openAPIV3Schema.properties)
JSII_INCOMPATIBLE = {
    "eso_secretstore": ["spec", "provider", "keepersecurity", "getByTitleFallback"],
    "eso_clustersecretstore": ["spec", "provider", "keepersecurity", "getByTitleFallback"],
}


def _strip(crd: dict, path: list[str]) -> None:
    for version in crd["spec"]["versions"]:
        node = version["schema"]["openAPIV3Schema"]
        for key in path[:-1]:
            node = node.get("properties", {}).get(key)
            if node is None:
                break
        else:
            node.get("properties", {}).pop(path[-1], None)


def main(argv: list[str]) -> int:
    wanted = argv or list(IMPORTS)
    if not CRDS.is_dir():
        print(f"import_crds: CRD folder {CRDS} not found (set PLATE_SHARED_CRDS)", file=sys.stderr)
        return 2
    env = dict(os.environ, CDK8S_CHECK_UPGRADE="false", JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20")
    cli = ROOT / "node_modules" / ".bin" / "cdk8s"
    with tempfile.TemporaryDirectory() as tmp:
        for name in wanted:
            src = CRDS / IMPORTS[name]
            if name in JSII_INCOMPATIBLE:
                crd = yaml.safe_load(src.read_text())
                _strip(crd, JSII_INCOMPATIBLE[name])
                src = Path(tmp) / src.name
                src.write_text(yaml.safe_dump(crd))
            print(f"import {name} <- {IMPORTS[name]}", flush=True)
            subprocess.run(
                [str(cli), "import", f"{name}:={src}", "--language", "python", "--output", "imports",
                 "--no-save", "--check-upgrade=false"],
                cwd=ROOT, env=env, check=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
