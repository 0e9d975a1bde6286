"""tools/check_imports.py: the package has no import circle, and the script names one when there is."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "check_imports.py"


def check(package: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), str(package)], capture_output=True, text=True, timeout=60)


def test_the_harness_package_has_no_import_circle():
    done = check(ROOT / "harness")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("no import circle among the ")


def test_a_circle_through_a_type_checking_import_is_named(tmp_path):
    """The circle config -> faults -> session -> config, made the way it once was: faults.py importing the
    Session only for its annotations."""
    copy = tmp_path / "harness"
    shutil.copytree(ROOT / "harness", copy, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.json"))
    faults = copy / "soak" / "faults.py"
    faults.write_text(faults.read_text().replace(
        "from dataclasses import dataclass\n",
        "from dataclasses import dataclass\nfrom typing import TYPE_CHECKING\n\n"
        "if TYPE_CHECKING:\n    from harness.soak.session import Session\n", 1))
    done = check(copy)
    assert done.returncode == 1
    assert done.stderr == ("import circle: harness.soak.config -> harness.soak.faults -> harness.soak.session "
                           "-> harness.soak.config\n")


def test_relative_imports_and_each_circle_are_named(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from .a import x\n")
    (pkg / "sub" / "c.py").write_text("from ..sub import d\n")
    (pkg / "sub" / "d.py").write_text("import pkg.sub.c\n")
    done = check(pkg)
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["import circle: pkg.a -> pkg.b -> pkg.a",
                                        "import circle: pkg.sub.c -> pkg.sub.d -> pkg.sub.c"]


def test_not_a_package_is_one_line_and_exit_2(tmp_path):
    done = check(tmp_path)
    assert done.returncode == 2
    assert done.stderr == f"check_imports: {tmp_path} is not a Python package\n"
