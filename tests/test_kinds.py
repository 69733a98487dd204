"""imports/gvk.py is what the typed bindings say: regenerate it with the bindings, never by hand."""
from components import kinds
from imports.gvk import BUILTIN, CUSTOM
from platectl.checks import ours


def test_gvk_table_equals_the_bindings():
    builtins, customs = kinds.from_bindings()
    assert BUILTIN == builtins
    assert CUSTOM == customs


def test_every_kind_we_build_is_in_the_table(objects):
    """Ours (the charts' objects are Helm's output, checked against the schemas)."""
    known = {gvk for gvk in BUILTIN.values()} | {gvk for gvk in CUSTOM.values()} | set(kinds.FROM_CRDS.values())
    used = {(o.data["apiVersion"], o.kind) for o in objects if ours(o)}
    assert used <= known, sorted(used - known)


def test_the_kinds_without_bindings_are_what_their_crds_serve(crd_dir):
    from platectl import schemas

    served = set(schemas.crd_schemas(crd_dir))
    assert set(kinds.FROM_CRDS.values()) <= served, sorted(set(kinds.FROM_CRDS.values()) - served)
