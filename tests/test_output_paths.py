"""Nothing a run found is lost to an output path: the verdict is printed first, a file that cannot be written
is one line naming it and the fallback file that holds its content, and the exit status stays the verdict's.
The directory is removed at the moment the verdict is printed (what `rm -r` during a run does), so the write
that follows must fall back."""

from __future__ import annotations

import json
import shutil
import tempfile

import pytest

import harness
import harness.cli
from harness.cli import main
from harness.report.output import output_dir, save
from harness.report.report_schema import schema_error


@pytest.fixture
def temp_dir(tmp_path, monkeypatch):
    """The temp directory the fallback files go to: this test's own, so none is left behind."""
    where = tmp_path / "temp"
    where.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    return where


def remove_when(monkeypatch, gone, starts: str) -> list[str]:
    """emit() that removes `gone` when it prints a line starting with `starts`; returns the lines printed."""
    lines: list[str] = []

    def emit(line: str) -> None:
        lines.append(line)
        if line.startswith(starts):
            shutil.rmtree(gone)
    monkeypatch.setattr(harness.cli, "emit", emit)
    return lines


def fallback_of(err: str, path) -> str:
    """The one stderr line for `path`, and the fallback file it names."""
    assert err.count("\n") == 1, err
    head, _, where = err.strip().partition("; saved it to ")
    assert head.startswith("error: cannot write the ") and f" to {path} (No such file or directory)" in head, err
    return where


def test_soak_report_survives_its_directory_removed_mid_run(tmp_path, temp_dir, monkeypatch, capsys):
    out = tmp_path / "out"
    out.mkdir()
    lines = remove_when(monkeypatch, out, "SUCCESS")
    assert main(["soak", "--duration", "0.2", "--quiet", "--json", str(out / "r.json")]) == 0   # the verdict's
    assert any(line.startswith("SUCCESS: violations=0") for line in lines)
    where = fallback_of(capsys.readouterr().err, out / "r.json")
    assert where.startswith(str(temp_dir)) and where.endswith(".json")
    rep = json.loads(open(where).read())
    assert rep["verdict"] == "SUCCESS" and schema_error(rep) is None


def test_failure_keeps_exit_1_when_its_report_falls_back(tmp_path, temp_dir, monkeypatch, capsys):
    out = tmp_path / "out"
    out.mkdir()
    remove_when(monkeypatch, out, "FAILURE")
    assert main(["soak", "--scheme", "busted-gp", "--until-violation", "--duration", "2", "--quiet", "--json",
                 str(out / "r.json")]) == 1
    rep = json.loads(open(fallback_of(capsys.readouterr().err, out / "r.json")).read())
    assert rep["verdict"] == "FAILURE" and rep["first_violation"]


def test_trace_falls_back(tmp_path, temp_dir, monkeypatch, capsys):
    rep = tmp_path / "r.json"
    rep.write_text(json.dumps(harness.run(harness.Config(duration=0.2, seed=2)).report))
    out = tmp_path / "out"
    out.mkdir()
    lines = remove_when(monkeypatch, out, "== ")   # the report's text comes first
    assert main(["report", str(rep), "--trace", str(out / "t.json")]) == 0
    where = fallback_of(capsys.readouterr().err, out / "t.json")
    assert json.loads(open(where).read())["traceEvents"]
    assert lines[-1].startswith(f"wrote {where}: ")


def test_save_with_no_temp_directory_says_it_is_lost(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "gone"))
    assert save(str(tmp_path / "no-dir" / "r.json"), "{}", "report") == ""
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.endswith(f"nor to the temp directory {tmp_path / 'gone'} (No such file or "
                                                 "directory): it is lost\n")


def test_plot_directory_that_cannot_be_created_falls_back(tmp_path, temp_dir, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    where = output_dir(str(blocker / "plots"), "plot")
    assert where.startswith(str(temp_dir)) and where != str(blocker / "plots")
    assert capsys.readouterr().err == f"error: cannot create the plot directory {blocker / 'plots'} (Not a " \
                                      f"directory); writing them to {where}\n"
