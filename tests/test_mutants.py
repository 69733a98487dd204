"""The hand-written mutants of bin/mutants still apply to the code (each replaces text found exactly
once) and name tests that exist; running them is bin/mutants' job (about 5 minutes)."""
from __future__ import annotations

import pytest

from tools.mutants import MUTANTS, ROOT


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_each_mutant_applies_once_and_names_real_tests(mutant):
    assert (ROOT / mutant.file).read_text().count(mutant.old) == 1, f"{mutant.name}: update tools/mutants.py"
    assert mutant.old != mutant.new and mutant.tests
    for test in mutant.tests:
        path, _, name = test.partition("::")
        text = (ROOT / path).read_text()
        assert not name or f"def {name.split('[')[0]}(" in text, test
