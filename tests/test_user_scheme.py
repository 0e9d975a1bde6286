"""Bring your own scheme: a user's C file compiled at run time, cached, run like a built-in; clear errors for
a broken file; the pytest plugin with the two examples."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import harness
from harness.build.userscheme import _digest
from harness.build._build import csrc_dir

pytest_plugins = ["pytester"]

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
GOOD, BUGGY = EXAMPLES / "good_scheme.c", EXAMPLES / "buggy_scheme.c"


def harness_cli(*args):
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=120)


def test_good_example_runs_clean(scheme_cache):
    r = harness.run(harness.Config(scheme_file=str(GOOD), duration=0.4, seed=7))
    assert r.report["config"]["scheme"] == "example-typesafe-fallback"   # the file's scheme is the default
    assert r.report["violations"] == 0, r.report["first_violation"]
    assert r.report["ops"] > 0 and r.report["near_misses"] > 0           # it did see recycled objects


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_buggy_example_caught(scheme_cache, seed):
    r = harness.run(harness.Config(scheme_file=str(BUGGY), duration=0.5, seed=seed, until_violation=True))
    assert r.report["violations_by_kind"]["identity"] > 0, r.report["violations_by_kind"]
    assert r.report["flight_recorder"]


def test_second_load_reuses_the_build(scheme_cache):
    assert harness_cli("list", "--scheme-file", str(GOOD)).returncode == 0   # built (or found) on disk
    before = {p.name: p.stat().st_ino for p in scheme_cache.iterdir()}
    p = harness_cli("list", "--scheme-file", str(GOOD))   # another process: only the on-disk cache helps
    assert p.returncode == 0, p.stderr
    first = p.stdout.splitlines()[0]
    assert "example-typesafe-fallback" in first and " yours " in first and "(scheme file)" in first
    after = {p.name: p.stat().st_ino for p in scheme_cache.iterdir()}   # the same files: nothing rebuilt
    assert after == before and all(name.endswith(".so") or name.startswith("engine-") for name in after)


def test_cache_key_is_content_not_path(tmp_path):
    same, edited = tmp_path / "same.c", tmp_path / "edited.c"
    shutil.copy(GOOD, same)
    edited.write_text(GOOD.read_text() + "/* edited */\n")
    root = csrc_dir()
    assert _digest(same, root) == _digest(GOOD, root) != _digest(edited, root)


SYNTAX_ERROR = """#include "harness.h"
static inline void r(struct h_ctx *ctx, struct h_task *t, struct h_snap *s, const int flavor, const int checks)
{ h_cpuset_read(ctx, h_ptr(ctx, t->cpuset), s, checks) }
HARNESS_SCHEME(harness_user_scheme, r, .name = "x", .attach = h_publish, .destroy = h_cpuset_free);
"""


def test_compile_error_shows_compiler_message(scheme_cache, tmp_path):
    bad = tmp_path / "bad.c"
    bad.write_text(SYNTAX_ERROR)
    p = harness_cli("soak", "--scheme-file", str(bad), "--duration", "0.3")
    assert p.returncode == 2
    assert p.stderr.startswith(f"error: {bad}: compile failed:\n"), p.stderr
    assert any(line.startswith(f"{bad}:3:") and "error:" in line for line in p.stderr.splitlines())  # gcc's own
    assert "Traceback" not in p.stderr and p.stdout == ""
    assert not [x for x in scheme_cache.iterdir() if x.name.startswith(".build-")], "nothing half-built left behind"


def test_missing_symbol_is_named(scheme_cache, tmp_path):
    wrong = tmp_path / "wrong.c"
    wrong.write_text(SYNTAX_ERROR.replace("s, checks) }", "s, checks); }").replace("(harness_user_scheme", "(mine"))
    p = harness_cli("soak", "--scheme-file", str(wrong))
    assert p.returncode == 2 and len(p.stderr.splitlines()) == 1, p.stderr
    assert "does not define harness_user_scheme" in p.stderr and "HARNESS_SCHEME(harness_user_scheme," in p.stderr


def test_missing_file(scheme_cache, tmp_path):
    p = harness_cli("soak", "--scheme-file", str(tmp_path / "nope.c"))
    assert p.returncode == 2 and p.stderr == f"error: {tmp_path / 'nope.c'}: no such scheme file\n"


def test_plugin_on_the_examples(scheme_cache, pytester):
    for f in ("good_scheme.c", "buggy_scheme.c", "test_good_scheme.py", "test_buggy_scheme.py"):
        shutil.copy(EXAMPLES / f, pytester.path / f)
    result = pytester.runpytest_subprocess("--harness-seed", "4242", "--harness-duration", "0.5")
    result.assert_outcomes(passed=2, failed=1)
    out = result.stdout.str()
    assert "harness: seed=4242 duration=0.5 cpus=all" in out
    assert "FAILED test_buggy_scheme.py::test_buggy_scheme_is_caught" in out
    assert "first violation: identity at t=" in out   # one readable line, no longer a Python dict
    assert "flight recorder (every worker, by time) up to the first violation:" in out
    assert ("reproduce: python -m harness soak --scheme example-refcount-no-recheck --rcu qsbr --workload alloc"
            in out and f"--seed 4242 --scheme-file {pytester.path / 'buggy_scheme.c'}" in out)
    assert "pytest_plugin.py" not in out, "no traceback noise"


def test_plugin_options_are_the_soak_flags(pytester):
    """Every soak flag is a --harness-* option read by the flag's own parser; a test's own arguments win."""
    pytester.makepyfile(test_opts="""
        def test_session_options(harness_stress):
            c = harness_stress(scheme="rcu-deferred").report["config"]
            assert (c["rcu"], c["workload"], c["writer_period"], c["adversarial"]) == ("mb", "deref", 10000, False)

        def test_own_arguments_win(harness_stress):
            assert harness_stress(scheme="rcu-deferred", rcu="qsbr").report["config"]["rcu"] == "qsbr"
    """)
    result = pytester.runpytest_subprocess("--harness-duration", "0.2", "--harness-rcu", "mb", "--harness-workload",
                                           "deref", "--harness-writer-period", "10us", "--harness-adversarial", "off")
    result.assert_outcomes(passed=2)
    bad = pytester.runpytest_subprocess("--harness-writer-period", "soon")
    assert bad.ret == 4 and "harness: malformed duration 'soon'" in bad.stderr.str()


def test_scheme_file_not_in_utf8_gets_the_compiler_message(scheme_cache, tmp_path):
    latin = tmp_path / "latin.c"
    latin.write_bytes(b'#include "harness.h"\nint x = /* caf\xe9 */ ;\n')
    p = harness_cli("soak", "--scheme-file", str(latin))
    assert p.returncode == 2 and p.stderr.startswith(f"error: {latin}: compile failed:"), p.stderr
    assert "Traceback" not in p.stderr


def test_unusable_cache_directory_one_line_exit_2(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    p = subprocess.run([sys.executable, "-m", "harness", "soak", "--scheme-file", str(GOOD)], capture_output=True,
                       text=True, timeout=120, env={**os.environ, "HARNESS_CACHE_DIR": str(blocker / "cache")})
    assert p.returncode == 2 and len(p.stderr.splitlines()) == 1 and "build cache" in p.stderr, p.stderr


def test_build_cache_is_bounded_and_killed_builds_are_swept(tmp_path):
    import time as _time

    from harness.build.userscheme import MAX_BUILDS, STALE_BUILD_S, prune_cache
    now = _time.time()
    for i in range(MAX_BUILDS + 8):
        f = tmp_path / f"_harness_user_{i:016x}.so"
        f.write_bytes(b"")
        os.utime(f, (now - i, now - i))          # build 0 is the most recently used
    for name, age in ((".build-killed", STALE_BUILD_S + 60), (".build-running", 5)):
        (tmp_path / name).mkdir()
        os.utime(tmp_path / name, (now - age, now - age))
    (tmp_path / "engine-old").mkdir()
    (tmp_path / "engine-current").mkdir()
    prune_cache(tmp_path, keep_engine="engine-current")
    left = {p.name for p in tmp_path.iterdir()}
    assert {f"_harness_user_{i:016x}.so" for i in range(MAX_BUILDS)} <= left
    assert not any(f"_harness_user_{i:016x}.so" in left for i in range(MAX_BUILDS, MAX_BUILDS + 8))
    assert ".build-killed" not in left and ".build-running" in left
    assert "engine-old" not in left and "engine-current" in left


def test_cache_command_shows_and_clears(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path))
    (tmp_path / "_harness_user_0123456789abcdef.so").write_bytes(b"x" * 1000)
    (tmp_path / "engine-0123456789abcdef").mkdir()
    shown = harness_cli("cache")
    assert shown.returncode == 0 and shown.stdout.startswith(f"cache {tmp_path}: 1 scheme-file builds")
    assert "_harness_user_0123456789abcdef.so" in shown.stdout
    cleared = harness_cli("cache", "--clear")
    assert cleared.returncode == 0 and "removed 2 entries" in cleared.stdout and not list(tmp_path.iterdir())


MARKED = """
import sys
import pytest

@pytest.mark.harness(scheme="rcu-typesafe", duration=0.3)
def test_marked_clean(request):
    assert request.node.harness_result.report["verdict"] == "SUCCESS"

@pytest.mark.harness(scheme="busted-gp", until_violation=True)
def test_marked_busted():
    pass
"""

UNRELATED = """
import sys

def test_nothing_of_ours_loaded():
    assert "harness._core" not in sys.modules and "numpy" not in sys.modules
"""


def test_plugin_marker(pytester):
    pytester.makepyfile(test_marked=MARKED)
    result = pytester.runpytest_subprocess("--harness-duration", "2")
    result.assert_outcomes(passed=1, failed=1)
    assert "FAILED test_marked.py::test_marked_busted" in result.stdout.str()
    assert "harness: seed=" in result.stdout.str()


def test_plugin_costs_nothing_when_unused(pytester):
    pytester.makepyfile(test_unrelated=UNRELATED)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)
    assert "harness:" not in result.stdout.str()
