"""tools/check_layers.py: the engine's files call only down the layer table, read from the compiled objects."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from harness.build._build import csrc_dir, engine_sources

TOOL = Path(__file__).resolve().parent.parent / "tools" / "check_layers.py"
_spec = importlib.util.spec_from_file_location("check_layers", TOOL)
assert _spec is not None and _spec.loader is not None
check_layers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_layers)


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    """Every source of this checkout compiled once, by the tool's own compile."""
    root = csrc_dir()
    return root, check_layers.compile_objects(root, engine_sources(root), tmp_path_factory.mktemp("objects"))


def test_every_call_goes_down(objects, capsys):
    root, objs = objects
    assert check_layers.unlayered(root) == []
    assert check_layers.report(root, objs) == 0
    out = capsys.readouterr().out
    assert out.startswith("layers: ") and "every one downward (base < " in out


def _copy(tmp_path: Path) -> Path:
    copy = tmp_path / "csrc"
    shutil.copytree(csrc_dir(), copy)
    return copy


def test_an_upward_call_is_named(objects, tmp_path, capsys):
    root, objs = objects
    copy = _copy(tmp_path)
    base = copy / "engine" / "base.c"
    base.write_text(base.read_text() + "\nint h_schemes_known(void) { return h_scheme_count(); }\n")
    rebuilt = check_layers.compile_objects(copy, [base], tmp_path)
    mixed = {copy / src.relative_to(root): obj for src, obj in objs.items()} | rebuilt
    assert check_layers.report(copy, mixed) == 1
    assert capsys.readouterr().err == (
        "engine/base.c (base) calls up into engine/registry.c (registry): h_scheme_count\n")


def test_a_file_in_no_layer_is_named(tmp_path, capsys):
    copy = _copy(tmp_path)
    (copy / "engine" / "stats.c").write_text('#include "engine.h"\n')
    assert check_layers.main(["--csrc", str(copy)]) == 1
    assert capsys.readouterr().err == "engine/stats.c: in no layer of tools/check_layers.py's LAYERS\n"


def test_not_the_sources_is_one_line(tmp_path, capsys):
    assert check_layers.main(["--csrc", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


@pytest.mark.parametrize("header", ["api.h", "engine.h", "weak.h"])
def test_a_scheme_file_sees_csrc_include_alone(header, tmp_path, monkeypatch):
    """harness.h is sealed: a scheme file is compiled with csrc/include on its include path and nothing else."""
    from harness.soak.parse import ConfigError
    from harness.build.userscheme import load_scheme_file

    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    f = tmp_path / "reach.c"
    f.write_text(f'#include "harness.h"\n#include "{header}"\n')
    with pytest.raises(ConfigError, match=f"compile failed:\n.*{header}: No such file"):
        load_scheme_file(f)
