"""Harbor's projects script, read back from dist/: valid shell, and production's project gets a
tag-immutability rule (a tag deployed to production can never be pushed again), staging's none."""
from __future__ import annotations

import json
import re
import subprocess

from tests.helpers import ENVIRONMENTS


def _script(objects) -> tuple[str, list[dict]]:
    cm = next(o for o in objects if o.kind == "ConfigMap" and o.name == "harbor-projects").data["data"]
    return cm["apply.sh"], json.loads(cm["projects.json"])


def test_production_tags_are_immutable_and_the_script_is_valid_shell(objects, tmp_path):
    script, projects = _script(objects)
    path = tmp_path / "apply.sh"
    path.write_text(script)
    assert subprocess.run(["sh", "-n", str(path)], capture_output=True).returncode == 0
    import envs
    tiers = {n: envs.load(n).tier for n in ENVIRONMENTS}
    # the environments' projects, and the project of the CI image of Jenkins' pipeline (tests/test_jenkins_pipeline.py)
    assert {p["name"]: p["immutable_tags"] for p in projects} == {**{n: tier == "production" for n, tier in tiers.items()},
                                                                  "platform": False}
    assert tiers["production"] == "production" and tiers["staging"] == "staging"
    posts = re.findall(r"-X POST (\S+/projects/(\w+)/immutabletagrules) -d '([^']+)'", script)
    assert [project for _, project, _ in posts] == ["production"]
    rule = json.loads(posts[0][2])
    # Harbor's ImmutableRule (api/v2.0 swagger): every repository, every tag
    assert rule == {"action": "immutable", "disabled": False, "template": "immutable_template",
                    "scope_selectors": {"repository": [{"decoration": "repoMatches", "kind": "doublestar",
                                                        "pattern": "**"}]},
                    "tag_selectors": [{"decoration": "matches", "kind": "doublestar", "pattern": "**"}]}
    # only once: the rule is added when the project has none
    assert f'if [ "$(curl -fsS -u "$auth" {posts[0][0]} | jq length)" = 0 ]; then' in script
