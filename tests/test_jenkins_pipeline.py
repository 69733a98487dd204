"""The Jenkinsfile and the multibranch job JCasC creates for it, checked as Jenkins will read them: both
parsed by Groovy 2.4.21 (Debian's groovyc, the Groovy of Jenkins' core), and the Jenkinsfile's names
(credentials, agent pod template, approvers, scripts) checked against what the render gives Jenkins in
dist/. Each check has its failing case. The steps it runs (bin/ci-publish with Jenkins' bindings, from a
detached checkout) run against a bare remote in tests/cli/test_ci.py."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers import Obj

ROOT = Path(__file__).resolve().parent.parent
JENKINSFILE = ROOT / "Jenkinsfile"


@pytest.fixture(scope="module")
def groovyc() -> list[str]:
    tool = shutil.which("groovyc")
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail("groovyc is missing in CI: bin/test installs it (Debian package groovy)")
        pytest.skip("groovyc not installed (bin/test installs the Debian package groovy); CI runs it")
    return [tool]


def _java_env() -> dict[str, str]:
    """Debian's groovyc starts /usr/lib/jvm/default-java unless JAVA_HOME says otherwise."""
    env = dict(os.environ)
    java = shutil.which("java")
    if "JAVA_HOME" not in env and not Path("/usr/lib/jvm/default-java").exists() and java:
        env["JAVA_HOME"] = str(Path(java).resolve().parent.parent)
    return env


def compile_errors(groovyc: list[str], source: str, tmp: Path, name: str) -> str:
    """groovyc's complaint about ``source`` ('' when it compiles): Groovy syntax, as Jenkins parses it."""
    tmp.mkdir(parents=True, exist_ok=True)
    script = tmp / f"{name}.groovy"
    script.write_text(source)
    proc = subprocess.run([*groovyc, "-d", str(tmp / f"{name}-classes"), str(script)], capture_output=True, text=True,
                          env=_java_env(), timeout=120)
    return "" if proc.returncode == 0 else (proc.stderr or proc.stdout).strip()


def _config(objects: list[Obj], name: str) -> dict:
    cm = next(o for o in objects if o.kind == "ConfigMap" and o.namespace == "jenkins" and o.name == name)
    return yaml.safe_load(next(iter(cm.data["data"].values())))


def rendered(objects: list[Obj]) -> dict:
    """What the render gives Jenkins: credentials, pod templates, global variables, jobs, mounted files."""
    pipelines = _config(objects, "jenkins-jenkins-config-pipelines")
    casc = _config(objects, "jenkins-jenkins-jcasc-config")
    statefulset = next(o for o in objects if o.kind == "StatefulSet" and o.name == "jenkins").data
    mounted = {item["path"] for v in statefulset["spec"]["template"]["spec"]["volumes"]
               for source in v.get("projected", {}).get("sources", []) for item in source.get("secret", {}).get("items", [])}
    plugins = next(o for o in objects if o.kind == "ConfigMap" and o.name == "jenkins").data["data"]["plugins.txt"]
    return {
        "credentials": {next(iter(c.values()))["id"] for d in pipelines["credentials"]["system"]["domainCredentials"]
                        for c in d["credentials"]},
        "templates": {t["name"] for cloud in casc["jenkins"]["clouds"] for t in cloud["kubernetes"]["templates"]},
        "variables": {e["key"] for p in pipelines["jenkins"]["globalNodeProperties"] for e in p["envVars"]["env"]},
        "jobs": [j["script"] for j in pipelines["jobs"]],
        "references": set(re.findall(r"\$\{([a-z0-9-]+)\}", yaml.safe_dump(pipelines["credentials"]))),
        "mounted": mounted,
        "plugins": {line.split(":")[0] for line in plugins.split()},
    }


def findings(jenkinsfile: str, given: dict, root: Path = ROOT) -> list[str]:
    """What in the Jenkinsfile the render does not provide, or the repository does not hold."""
    out = []
    for cred in sorted(set(re.findall(r"credentialsId: '([^']+)'", jenkinsfile)) - given["credentials"]):
        out.append(f"credential {cred!r} is not among Jenkins' credentials")
    for template in sorted(set(re.findall(r"inheritFrom '([^']+)'", jenkinsfile)) - given["templates"]):
        out.append(f"pod template {template!r} is not among the Kubernetes cloud's templates")
    for var in sorted(set(re.findall(r"env\.([A-Z_]+)", jenkinsfile)) - given["variables"]):
        out.append(f"variable {var!r} is not among Jenkins' global variables")
    for command in re.findall(r"\bsh '([^']+)'", jenkinsfile):
        head = command.split()[0]
        if head == "git":
            continue
        path = root / head
        if not head.startswith("bin/") or not path.is_file() or not os.access(path, os.X_OK):
            out.append(f"step {command!r} runs {head!r}, not a script in bin/")
    publish = (root / "bin" / "ci-publish").read_text()
    for var in re.findall(r"(?:variable|keyFileVariable): '([A-Z_]+)'", jenkinsfile):
        if not re.search(rf"\b{var}\b", publish):
            out.append(f"binding {var!r} is read by no script")
    for missing in ("PLATE_SIGNING_KEY_ASC", "PLATE_PUSH_URL"):
        if f"'{missing}'" not in jenkinsfile:
            out.append(f"bin/ci-publish needs {missing}, which no step binds")
    return out


def test_the_jenkinsfile_and_the_job_dsl_parse_as_jenkins_groovy(groovyc, objects, tmp_path):
    assert compile_errors(groovyc, JENKINSFILE.read_text(), tmp_path, "Jenkinsfile") == ""
    jobs = rendered(objects)["jobs"]
    assert jobs and all(compile_errors(groovyc, job, tmp_path, f"job{i}") == "" for i, job in enumerate(jobs))
    # failing cases: a lost brace in each
    broken = JENKINSFILE.read_text().replace("  stages {", "  stages ", 1)
    assert "unexpected token" in compile_errors(groovyc, broken, tmp_path, "Broken")
    assert compile_errors(groovyc, jobs[0].replace("factory {", "factory ", 1), tmp_path, "BrokenJob")


def test_the_jenkinsfile_names_only_what_the_render_gives_jenkins(objects):
    given = rendered(objects)
    assert findings(JENKINSFILE.read_text(), given) == []
    # every `${...}` of the JCasC credentials is a file the controller mounts from a Secret
    assert given["references"] and given["references"] <= given["mounted"]
    assert {"job-dsl", "configuration-as-code", "kubernetes", "credentials-binding", "git"} <= given["plugins"]
    # failing cases: each name misspelt, a step that is not one of ours, a binding nothing reads
    text = (JENKINSFILE.read_text().replace("plate-gitops-push-url", "plate-gitops-pushurl", 1)
            .replace("inheritFrom 'plate-gitops'", "inheritFrom 'plate-ci'", 1)
            .replace("env.PLATE_RELEASE_SUBMITTERS", "env.PLATE_APPROVERS")
            .replace("sh 'bin/test'", "sh 'make test'")
            .replace("variable: 'PLATE_PUSH_URL'", "variable: 'PUSH_URL'", 1))
    assert findings(text, given) == [
        "credential 'plate-gitops-pushurl' is not among Jenkins' credentials",
        "pod template 'plate-ci' is not among the Kubernetes cloud's templates",
        "variable 'PLATE_APPROVERS' is not among Jenkins' global variables",
        "step 'make test' runs 'make', not a script in bin/",
        "binding 'PUSH_URL' is read by no script",
    ]


def test_the_job_builds_this_repository_from_its_jenkinsfile(objects, platform):
    job = rendered(objects)["jobs"][0]
    assert re.search(r"scriptPath\('([^']+)'\)", job).group(1) == JENKINSFILE.name
    assert re.search(r"remote\('([^']+)'\)", job).group(1) == platform.clusters["shared"].gitops.repo_url
    assert "periodicFolderTrigger" in job  # polled: no webhook reaches this Jenkins
    secret = next(o for o in objects if o.kind == "ExternalSecret" and o.name == "jenkins-pipeline-plate-gitops").data
    fetched = {d["secretKey"]: d["remoteRef"]["key"] for d in secret["spec"]["data"]}
    assert fetched == {"push-key": "platform/jenkins/plate-gitops", "signing-key": "platform/jenkins/plate-gitops"}
    assert secret["spec"]["target"]["template"]["data"] == {"push-url": "git@github.com:plate-platform/plate-gitops.git"}
    # production waits for an approver named by the configuration, and only on main
    assert "beforeInput true" in JENKINSFILE.read_text().split("stage('Publish production')", 1)[1].split("steps", 1)[0]


def test_the_pipelines_agent_runs_unprivileged(objects):
    """Builds run pull requests' code: the CI container of the pipeline's pod template is merged with the
    restricted Pod Security settings (no root, no capability, no escalation, the runtime's seccomp)."""
    casc = _config(objects, "jenkins-jenkins-jcasc-config")
    [template] = [t for cloud in casc["jenkins"]["clouds"] for t in cloud["kubernetes"]["templates"]
                  if t["name"] == "plate-gitops"]
    assert template["inheritFrom"] == "default" and template["yamlMergeStrategy"] == "merge"
    [ci] = [c for c in yaml.safe_load(template["yaml"])["spec"]["containers"] if c["name"] == "ci"]
    ctx = ci["securityContext"]
    assert (ctx["runAsNonRoot"], ctx["allowPrivilegeEscalation"], ctx["capabilities"], ctx["seccompProfile"]) == (
        True, False, {"drop": ["ALL"]}, {"type": "RuntimeDefault"})
    assert ctx["runAsUser"] == 1000 and template["containers"][0]["privileged"] is False


def test_the_agent_image_is_pulled_from_harbor_with_a_robot_the_projects_script_makes(objects):
    """The CI image lives in the platform's Harbor: its project and pull robot are in the projects script,
    the robot's KV entry fills the pull Secret the agent's pod names, and Jenkins' OpenBao role may read it."""
    import json

    casc = _config(objects, "jenkins-jenkins-jcasc-config")
    [template] = [t for cloud in casc["jenkins"]["clouds"] for t in cloud["kubernetes"]["templates"]
                  if t["name"] == "plate-gitops"]
    image = template["containers"][0]["image"]
    registry, project = image.split("/")[0], image.split("/")[1]
    [pull] = yaml.safe_load(template["yaml"])["spec"]["imagePullSecrets"]
    secret = next(o for o in objects if o.kind == "ExternalSecret" and o.namespace == "jenkins"
                  and o.name == pull["name"]).data
    assert registry in secret["spec"]["target"]["template"]["data"][".dockerconfigjson"]
    path = {d["remoteRef"]["key"] for d in secret["spec"]["data"]}.pop()
    harbor = next(o for o in objects if o.kind == "ConfigMap" and o.name == "harbor-projects").data["data"]
    assert {"name": project, "public": False, "pull_secret_path": path, "immutable_tags": False} in json.loads(
        harbor["projects.json"])
    assert f"bao kv put kv/{path} -" in harbor["apply.sh"]
    policies = next(o for o in objects if o.kind == "ConfigMap" and o.name == "openbao-policies").data["data"]
    jenkins_policy = next(v for k, v in policies.items() if "jenkins" in k and k.endswith(".hcl"))
    assert f'path "kv/data/{path}"' in jenkins_policy
