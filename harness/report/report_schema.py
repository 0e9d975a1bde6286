"""The report format as a published JSON Schema (Draft 2020-12): harness/report/schema/report-v1.json, shipped in the
package. Every report the harness reads (`report`, `repro`, `shrink`, `bisect-step`) is validated against it,
so a file that parses but holds the wrong types is one line naming the field, never a traceback later."""

from __future__ import annotations

import functools
import json
from importlib import resources

SCHEMA_FILE = "report-v1.json"


@functools.cache
def schema() -> dict:
    """The shipped schema, its config's properties filled in from the Config parameters."""
    s = json.loads(resources.files("harness.report").joinpath("schema", SCHEMA_FILE).read_text())
    s["properties"]["config"]["properties"] = config_properties()
    return s


_JSON_TYPES = {"int": "integer", "float": "number", "bool": "boolean", "str": "string"}


def config_properties() -> dict:
    """Each Config field's JSON type from its annotation ("list[int] | None" -> an array of integers or
    null), with the lowest value its limits allow (0 without limits) and, for a pair, its length."""
    from dataclasses import fields
    from harness.soak.config import PARAMS, Config
    limits = {p.name: p.limits for p in PARAMS}
    out = {}
    for f in fields(Config):
        kind, _, optional = str(f.type).partition(" | ")
        item = kind[5:-1] if kind.startswith("list[") else None
        prop: dict = {"type": "array" if item else _JSON_TYPES[kind]}
        numeric = _JSON_TYPES[item or kind] in ("integer", "number")   # counts and durations: never negative
        lows = {"minimum": min((limit.lo for limit in limits[f.name]), default=0)} if numeric else {}
        if item:
            prop["items"] = {"type": _JSON_TYPES[item], **lows}
            if len(limits[f.name]) > 1:
                prop["minItems"] = prop["maxItems"] = len(limits[f.name])
        else:
            prop.update(lows)
        if optional:
            prop["type"] = [prop["type"], "null"]
        out[f.name] = prop
    return out


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
