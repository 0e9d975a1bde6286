"""The report format as a published JSON Schema (Draft 2020-12): harness/schema/report-v1.json, shipped in the
package. Every report the harness reads (`report`, `repro`, `shrink`, `bisect-step`) is validated against it,
so a file that parses but holds the wrong types is one line naming the field, never a traceback later."""

from __future__ import annotations

import functools
import json
from importlib import resources

SCHEMA_FILE = "report-v1.json"


@functools.cache
def schema() -> dict:
    return json.loads(resources.files("harness").joinpath("schema", SCHEMA_FILE).read_text())


@functools.cache
def _validator():  # type: ignore[no-untyped-def]
    from jsonschema import Draft202012Validator   # only when a report is read
    return Draft202012Validator(schema())


def schema_error(report: object) -> str | None:
    """Why `report` is not a harness report, naming the field by its JSON path; None when it is one."""
    from jsonschema.exceptions import best_match
    error = best_match(_validator().iter_errors(report))
    if error is None:
        return None
    if error.validator == "required":
        return f"no {error.message.split(' is a required')[0]} at {error.json_path}"
    return f"{error.json_path}: {error.message}"
