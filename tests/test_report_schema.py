"""The report format is a published JSON Schema (harness/report/schema/report-v1.json): every report the harness
writes validates against it, and a report that breaks it is refused by `report` with the field named."""

import json

import pytest
from jsonschema import Draft202012Validator

import harness
from harness.cli import main
from harness.report.report_schema import schema, schema_error


def test_the_schema_is_a_valid_draft_2020_12_schema_shipped_in_the_package():
    Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema()["properties"]["verdict"]["enum"]) == {"SUCCESS", "FAILURE", "INTERRUPTED"}


@pytest.mark.parametrize("settings, verdict", [
    ({}, "SUCCESS"),
    ({"scheme": "busted-gp", "until_violation": True}, "FAILURE"),
    ({"inject": ["reader-stall@0.1:0.1s"]}, "SUCCESS"),
    ({"inject": ["worker-crash@0.1"]}, "FAILURE"),
    ({"memory_model": "weak"}, "SUCCESS"),
    ({"checks": False, "workload": "deref"}, "SUCCESS"),
], ids=["success", "failure", "fault", "crash", "weak", "no-checks"])
def test_every_report_the_harness_writes_validates(settings, verdict):
    rep = json.loads(json.dumps(harness.run(harness.Config(duration=0.4, seed=5, **settings)).report))
    assert rep["verdict"] == verdict
    assert schema_error(rep) is None


def test_a_report_with_a_negative_count_is_refused_naming_the_field(tmp_path, capsys):
    rep = harness.run(harness.Config(duration=0.2, seed=5)).report
    rep["violations"] = -3
    path = tmp_path / "r.json"
    path.write_text(json.dumps(rep))
    assert main(["report", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"error: {path} is not a harness report (report-v1.json): $.violations: -3 is less " \
                                "than the minimum of 0\n"
