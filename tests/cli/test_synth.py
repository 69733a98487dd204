from click.testing import CliRunner

import envs
from platectl.cli import cli
from tests.helpers import ENVIRONMENTS, read_tree

HARBOR_WARNING = ""  # the shared cluster runs Harbor on an external database: no warning


def test_synth_renders_the_requested_environments_cluster(tmp_path, fresh_render):
    out = tmp_path / "dist"
    result = CliRunner().invoke(cli, ["synth", "--env", "staging", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == f"rendered cluster shared into {out}\n"
    assert read_tree(out) == read_tree(fresh_render)


def test_synth_bad_input_exits_1_and_leaves_output(tmp_path, monkeypatch):
    out = tmp_path / "dist"
    out.mkdir()
    (out / "keep.yaml").write_text("a: 1\n")
    staging = envs.OVERLAYS["staging"]
    monkeypatch.setitem(envs.OVERLAYS, "staging", {**staging, "services": {
        **staging["services"], "web": {**staging["services"]["web"], "replicas": -1}}})
    result = CliRunner().invoke(cli, ["synth", "--out", str(out)])
    assert result.exit_code == 1
    assert result.output == (
        "error: environment 'staging', component 'plate-web', field 'replicas': "
        "Input should be greater than or equal to 0 (got -1)\n"
        f"nothing written: {out} is unchanged\n")
    assert read_tree(out) == {"keep.yaml": b"a: 1\n"}


def test_unknown_environment_is_a_usage_error():
    result = CliRunner().invoke(cli, ["synth", "--env", "nowhere"])
    assert result.exit_code == 2
    choices = ", ".join(repr(n) for n in sorted([*ENVIRONMENTS, "shared"]))
    assert f"'nowhere' is not one of {choices}" in result.output


def test_progress_lines_when_asked(tmp_path):
    from platectl import render
    lines: list[str] = []
    render.synth(tmp_path / "dist", names=["staging"], progress=lines.append)
    assert lines == [f"validated 1 clusters and {len(ENVIRONMENTS)} environments", "rendering cluster shared",
                     f"replacing {tmp_path / 'dist'}"]
