"""Fixtures shared by tests/ and bench/."""

import pytest


@pytest.fixture(scope="session")
def scheme_cache(tmp_path_factory):
    """One build cache (HARNESS_CACHE_DIR) for every scheme file the session compiles: the engine's objects
    are compiled once, each scheme file once, whatever test or benchmark needs it first."""
    path = tmp_path_factory.mktemp("harness-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HARNESS_CACHE_DIR", str(path))
        yield path
