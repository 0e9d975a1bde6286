"""The mutant suite: realistic buggy schemes, each written the way a user writes one against harness.h
(tests/mutants/*.c), and the exact violation kind the engine must raise for each. A mutant counts as killed
only if its own kind is reported, on every seed and every CPU layout; another kind does not count.

Race mutants run until their first violation (capped at RACE_DURATION_S); hang mutants run HANG_DURATION_S and
are caught when a worker fails to stop within the engine's deadline after it. tests/mutants/README.md lists
what each file gets wrong."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import harness
from harness.build.core import BUILTIN
from support.mutants import LAYOUTS, MUTANTS, MUTANTS_DIR, RUN_TIMEOUT_S, mutant_config, run_timeout

SEEDS = [1, 2, 3]

# Mutants run on every seed in the default suite except these, which run on the first seed there and on
# the others under `-m soak` (the default suite's time budget).
FIRST_SEED_ONLY = {"nested_unlock_imbalance.c", "hazard_no_fence.c", "hazard_no_recheck.c", "epoch_one_advance.c",
                   "urcu_single_flip.c", "srcu_reread_index.c"}


def mutant_runs():
    for name in MUTANTS:
        for layout in LAYOUTS:
            for seed in SEEDS:
                marks = [pytest.mark.soak] if name in FIRST_SEED_ONLY and seed != SEEDS[0] else []
                yield pytest.param(name, layout, seed, marks=marks, id=f"{Path(name).stem}-{layout}-{seed}")


@pytest.mark.parametrize("name,layout,seed", list(mutant_runs()))
def test_mutant_is_killed(scheme_cache, name, layout, seed):
    kind = MUTANTS[name][0]
    config = mutant_config(name, seed, layout)
    with run_timeout(RUN_TIMEOUT_S):
        rep = harness.run(config).report
    found = {k: v for k, v in rep["violations_by_kind"].items() if v}
    why = (f"{name} must raise {kind!r}; got {found or 'nothing'}; first violation {rep['first_violation']}; "
           f"reproduce: {rep['command']}")
    assert kind in rep["violations_by_kind"], f"no kind {kind!r} in the report: {sorted(rep['violations_by_kind'])}"
    assert rep["violations_by_kind"][kind] > 0, why
    assert rep["verdict"] == "FAILURE", why


def test_every_mutant_file_is_in_the_table():
    files = sorted(p.name for p in MUTANTS_DIR.glob("*.c"))
    assert sorted(MUTANTS) == files, (f"not in MUTANTS (orphans): {sorted(set(files) - set(MUTANTS))}; "
                                      f"in MUTANTS but missing: {sorted(set(MUTANTS) - set(files))}")
    assert len(MUTANTS) >= 14


def test_table_names_real_kinds_and_config_fields():
    unknown = {kind for kind, _ in MUTANTS.values()} - set(BUILTIN.violation_names)
    assert not unknown, f"not a kind the engine reports: {unknown} (known: {BUILTIN.violation_names})"
    # until_violation is not reserved: a mutant whose first violation may be another kind runs its whole
    # duration (the hazard-pointer ones say so in the table)
    reserved = {"scheme_file", "seed", "duration"} | {k for lay in LAYOUTS.values() for k in lay}
    assert not {n: sorted(set(extra) & reserved) for n, (_, extra) in MUTANTS.items() if set(extra) & reserved}


def test_each_mutant_documents_its_kind():
    """The file's header comment and tests/mutants/README.md name the same kind as the table."""
    readme = (MUTANTS_DIR / "README.md").read_text()
    row = re.compile(r"^\|\s*`([\w.]+\.c)`\s*\|.*\|\s*`([\w-]+)`\s*\|", re.M)   # | `file.c` | ... | `kind` |
    rows = {m.group(1): m.group(2) for m in row.finditer(readme)}
    for name, (kind, _) in MUTANTS.items():
        text = (MUTANTS_DIR / name).read_text()
        head = text.split("*/", 1)[0]
        assert re.search(rf"Must raise: {re.escape(kind)}\b", head), f"{name}: header does not say 'Must raise: {kind}'"
        assert "H_SCHEME_BUSTED" not in text, f"{name}: a user would not claim H_SCHEME_BUSTED"
        assert rows.get(name) == kind, f"{name}: README.md says {rows.get(name)!r}, the table {kind!r}"
