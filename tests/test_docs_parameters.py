"""docs/parameters.md names every flag of the parameter table, with its default: a parameter added to
harness/params.py without its row in the docs fails here."""

from pathlib import Path

from harness.params import PARAMS

TABLE = (Path(__file__).resolve().parent.parent / "docs" / "parameters.md").read_text(encoding="utf-8")


def test_every_soak_flag_has_its_row_with_its_default():
    rows = {line.split("|")[1].strip().split()[0].strip("`"): line for line in TABLE.splitlines()
            if line.startswith("| `--")}
    assert sorted(rows) == sorted(p.flag for p in PARAMS)
    for p in PARAMS:
        if p.default is not None:
            assert f"| `{p.default}` |" in rows[p.flag], p.flag
