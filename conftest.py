"""Fixtures shared by tests/ and bench/, and their helpers' package: tests/support/, imported as `support`."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))


@pytest.fixture(scope="session")
def scheme_cache(tmp_path_factory):
    """One build cache (HARNESS_CACHE_DIR) for every scheme file the session compiles: the engine's objects
    are compiled once, each scheme file once, whatever test or benchmark needs it first."""
    path = tmp_path_factory.mktemp("harness-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HARNESS_CACHE_DIR", str(path))
        yield path
