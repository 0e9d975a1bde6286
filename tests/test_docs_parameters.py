"""docs/parameters.md holds the parameter table generated from the Config fields: a parameter added,
renamed or given another default without regenerating the docs fails here."""

from pathlib import Path

from harness.soak.config import PARAMS
from harness.soak.params import docs_table

TABLE = (Path(__file__).resolve().parent.parent / "docs" / "parameters.md").read_text(encoding="utf-8")


def test_the_docs_table_is_the_generated_one():
    assert docs_table(PARAMS).rstrip("\n") in TABLE, "regenerate the table in docs/parameters.md (see its text)"
