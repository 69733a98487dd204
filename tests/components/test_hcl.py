from components import hcl


def test_render_is_deterministic_hcl():
    text = hcl.render(("ui", True), ("name", "x"), hcl.Block("listener", ("tcp",), {"address": "[::]:8200",
                      "telemetry": {"on": False}}), hcl.Block("path", ("kv/data/a",), {"capabilities": ["read"]}))
    assert text == (
        'ui = true\nname = "x"\n\nlistener "tcp" {\n  address = "[::]:8200"\n  telemetry {\n    on = false\n  }\n}\n\n'
        'path "kv/data/a" {\n  capabilities = ["read"]\n}\n')


def test_strings_are_escaped():
    assert hcl.render(("a", 'x"y')) == 'a = "x\\"y"\n'
