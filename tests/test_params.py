"""One source of truth for every parameter: the Config field declares it, and the command line, the pytest
plugin, campaign keys, the JSON report, the reproduce line and the docs table all use its one name; the names
and limits Python parses options into are the C core's, checked when the core loads."""

import json
from dataclasses import fields

import pytest

import harness
from harness.soak import parse
from harness.cli import build_parser, main
from harness.soak.config import PARAMS, Config
from harness.build.core import BUILTIN, Core, CoreMismatch, check_agrees_with
from harness.soak.params import docs_table
from harness.report.report_schema import schema, schema_error


@pytest.fixture(scope="module")
def report():
    """One short run's report, as `soak --json` writes it."""
    run = harness.run(Config(duration=0.2, seed=3, readers=1, writers=1, cpus=parse.allowed_cpus()[:1],
                             oversubscribe=True))
    return json.loads(json.dumps(run.report))


def test_python_and_the_c_core_agree_on_names_and_limits():
    lib = BUILTIN.lib
    assert parse.FLAVORS == BUILTIN.names("h_flavor_name", "H_NFLAVORS")
    assert parse.WORKLOADS == BUILTIN.names("h_workload_name", "H_NWORKLOADS")
    assert parse.WRITER_OPS == BUILTIN.names("h_writer_op_name", "H_NWRITER_OPS")
    assert parse.MEMORY_MODELS == BUILTIN.names("h_memory_model_name", "H_NMEMORY_MODELS")
    assert (parse.MAX_WORKERS, parse.MAX_NODES) == (lib.H_MAX_WORKERS, lib.H_MAX_NODES)
    assert BUILTIN.role_name(lib.H_ROLE_READER) == "reader" and BUILTIN.role_name(lib.H_ROLE_WRITER) == "writer"
    check_agrees_with(BUILTIN)


@pytest.mark.parametrize("name, value, says", [
    ("FLAVORS", ("mb", "qsbr", "membarrier"), "harness.soak.parse.FLAVORS is ('mb', 'qsbr', 'membarrier') but the C "
                                              "core's h_flavor_name() gives ('qsbr', 'mb', 'membarrier')"),
    ("WORKLOADS", ("deref", "alloc", "unused"), "h_workload_name()"),
    ("WRITER_OPS", ("create", "attach", "destroy", "rebind"), "h_writer_op_name()"),
    ("MEMORY_MODELS", ("native", "strong"), "h_memory_model_name()"),
    ("MAX_WORKERS", 512, "harness.soak.parse.MAX_WORKERS is 512 but the C core's H_MAX_WORKERS is 256"),
    ("MAX_NODES", 32, "H_MAX_NODES"),
])
def test_a_disagreement_stops_the_core_loading(monkeypatch, name, value, says):
    """A Python copy out of step with C (a flavor added in the middle, a limit raised on one side) would hand
    every run the wrong numbers: the core refuses to load, naming what differs."""
    monkeypatch.setattr(parse, name, value)
    with pytest.raises(CoreMismatch) as e:
        Core(BUILTIN.module)
    assert says in str(e.value)


def test_every_interface_says_a_knob_by_its_field_name(report):
    """The flag, the plugin option, the campaign key and the JSON key of each parameter are its field's name."""
    from harness.campaign.spec import OWNED, soak_options
    names = [f.name for f in fields(Config)]
    assert [p.name for p in PARAMS] == names
    soak = next(a for a in build_parser()._subparsers._group_actions[0].choices["soak"]._actions
                if a.dest == "writer_period")
    assert soak.option_strings == ["--writer-period"]
    assert sorted(soak_options()) == sorted(set(names) - set(OWNED))
    assert list(report["config"]) == names


def test_the_report_schema_types_each_parameter_from_its_field(report):
    """The schema's config part is derived from Config: a new parameter needs no edit there, and a value of
    the wrong shape is still named by its JSON path."""
    assert list(schema()["properties"]["config"]["properties"]) == [f.name for f in fields(Config)]
    assert schema_error(report) is None
    for name, bad, says in (("read_delay", [20], "$.config.read_delay: [20] is too short"),
                            ("stall_bound", 0, "$.config.stall_bound: 0 is less than the minimum of 1"),
                            ("shuffle", "3s", "$.config.shuffle: '3s' is not of type 'number', 'null'")):
        assert schema_error({**report, "config": {**report["config"], name: bad}}) == says


def test_defaults_come_from_the_field(capsys):
    """--help says each default as the field (or its mode) gives it, and a default stays off the reproduce line."""
    with pytest.raises(SystemExit):
        main(["soak", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"simulated pages per node (default: {Config.pages_per_node})" in text
    assert "(default: 1s)" in text and "(default: 20:50us with checks on, else 0:50us)" in text
    assert "--stall-bound" not in Config(seed=1, stall_bound=Config.stall_bound).resolved().command()
    assert "--stall-bound 2s" in Config(seed=1, stall_bound=2000).resolved().command()


def test_the_docs_table_has_a_row_per_parameter():
    table = docs_table(PARAMS).splitlines()
    assert len(table) == 2 + len(PARAMS)
    row = next(r for r in table if r.startswith("| `--read-delay` / `read_delay` |"))
    assert "20:50us with checks on, else 0:50us" in row and "[per mille, ns]" in row


@pytest.mark.parametrize("matrix, says", [
    ("inject = 'reader-kill@0.2s'", "--inject reader-kill needs at least 2 readers"),
    ("memory_model = 'weak'\nchecks = false", "--memory-model weak needs the checks on"),
    ("nodes = 2\njob_nodes = 3", "job nodes must be 0..nodes (2), not 3"),
    ("duration = '1s'\ninject = 'reader-stall@0.5s:2s'", "past the run's end"),
])
def test_a_campaign_cell_is_validated_as_a_soak_is_before_anything_runs(tmp_path, capsys, matrix, says):
    """Cross-field rules, Config's own, refuse the campaign file: not one replica at a time at run time."""
    path = tmp_path / "c.toml"
    path.write_text(f"[matrix]\nscheme = 'rcu-typesafe'\n{matrix}\n")
    assert main(["campaign", "run", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err, err
    assert not (tmp_path / "out").exists()


def test_a_report_whose_config_names_an_unknown_key_is_not_rerun(report, tmp_path, capsys):
    """Dropping a key this harness does not know would rerun at a default the recorded run did not have."""
    report = json.loads(json.dumps(report))
    report["config"]["writer_period_ns"] = report["config"].pop("writer_period")
    path = tmp_path / "old.json"
    path.write_text(json.dumps(report))
    assert main(["repro", str(path), "--runs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "names writer_period_ns, which this harness does not know" in err, err
