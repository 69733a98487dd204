from click.testing import CliRunner

import envs
from platectl.cli import cli
from tests.helpers import read_tree

HARBOR_WARNING = ("warning: environment 'staging', component 'harbor': the internal database uses the chart's built-in "
                  "superuser password (database.internal.password); use an external database outside test environments\n")


def test_synth_renders_the_requested_environment(tmp_path, fresh_render):
    out = tmp_path / "dist"
    result = CliRunner().invoke(cli, ["synth", "--env", "staging", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == HARBOR_WARNING + f"rendered staging into {out}\n"
    assert read_tree(out) == {k: v for k, v in read_tree(fresh_render).items() if k.startswith("staging/")}


def test_synth_bad_input_exits_1_and_leaves_output(tmp_path, monkeypatch):
    out = tmp_path / "dist"
    out.mkdir()
    (out / "keep.yaml").write_text("a: 1\n")
    overlay = envs.deep_merge(envs.OVERLAYS["staging"], {"apps": {"web": {"replicas": -1}}})
    monkeypatch.setitem(envs.OVERLAYS, "staging", overlay)
    result = CliRunner().invoke(cli, ["synth", "--out", str(out)])
    assert result.exit_code == 1
    assert result.output == (
        "error: environment 'staging', component 'plate-web', field 'replicas': "
        "Input should be greater than or equal to 0 (got -1)\n"
        f"nothing written: {out} is unchanged\n")
    assert read_tree(out) == {"keep.yaml": b"a: 1\n"}


def test_unknown_environment_is_a_usage_error():
    result = CliRunner().invoke(cli, ["synth", "--env", "qa"])
    assert result.exit_code == 2
    assert "'qa' is not one of 'staging', 'production'" in result.output


def test_synth_is_quiet_off_a_terminal(tmp_path):
    result = CliRunner().invoke(cli, ["synth", "--env", "staging", "--out", str(tmp_path / "dist")])
    assert result.output == HARBOR_WARNING + f"rendered staging into {tmp_path / 'dist'}\n"


def test_progress_lines_when_asked(tmp_path):
    from platectl import render
    lines: list[str] = []
    render.synth(tmp_path / "dist", names=["staging"], progress=lines.append)
    assert lines == ["validated staging", "rendering staging", "checking the render", f"replacing {tmp_path / 'dist'}"]
