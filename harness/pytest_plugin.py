"""pytest plugin (entry point `harness`, loaded wherever this package is installed): stress a scheme, built-in
or your own C file, from your own test suite.

    def test_my_scheme(harness_stress):
        harness_stress(scheme_file="my_scheme.c")        # relative to this test file's directory

`harness_stress(scheme=None, scheme_file=None, rcu="qsbr", workload="alloc", **config_overrides)` runs one
stress (harness.run) and returns its Result; on any violation the test fails with the verdict, the first
violation, the flight recorder up to it and the exact reproducing command. Options, on the command line or
as ini keys (harness_duration, harness_cpus, harness_seed): --harness-duration (default 2s), --harness-cpus
(default: every allowed CPU), --harness-seed (default: random, printed in the header). Or as a marker:

    @pytest.mark.harness(scheme_file="my_scheme.c", rcu="mb")
    def test_my_scheme_mb(request):
        assert request.node.harness_result.report["ops"] > 0

Nothing runs, nothing is printed and neither the C core nor numpy is loaded unless a test uses the fixture
or the marker; `-p no:harness` turns the plugin off.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Callable

import pytest

OPTIONS = {   # name: (default, help)
    "duration": ("2s", "length of each harness_stress run: seconds, or with an s/m/h suffix"),
    "cpus": (None, "CPU list for harness_stress runs, e.g. 0,2-3 (default: every allowed CPU)"),
    "seed": (None, "seed for every harness_stress run (default: random per session, shown in the header)"),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "cpuset-rcu-harness stress runs (the harness_stress fixture)")
    for name, (default, help_text) in OPTIONS.items():
        group.addoption(f"--harness-{name}", dest=f"harness_{name}", default=None, help=help_text)
        parser.addini(f"harness_{name}", help_text, default=default)


class _Settings:
    """The session's options, parsed once: bad values are a usage error before any test runs."""

    def __init__(self, config: pytest.Config) -> None:
        from harness.parse import ConfigError, parse_cpu_list, parse_duration

        def opt(name: str) -> str | None:
            return config.getoption(f"harness_{name}") or config.getini(f"harness_{name}") or None

        try:
            self.duration_text = opt("duration") or "2s"
            self.duration = parse_duration(self.duration_text)
            self.cpus_text = opt("cpus")
            self.cpus = parse_cpu_list(self.cpus_text) if self.cpus_text else None
            seed = opt("seed")
            self.seed = int(seed) if seed else random.randrange(1, 2**31)
        except (ConfigError, ValueError) as e:
            raise pytest.UsageError(f"harness: {e}") from None


_KEY = pytest.StashKey[_Settings]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "harness(scheme=None, scheme_file=None, rcu='qsbr', workload='alloc', "
                                       "**config): run one harness stress before the test (harness_stress's "
                                       "arguments); the Result is request.node.harness_result")
    config.stash[_KEY] = _Settings(config)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Only a run that uses the fixture or the marker hears from the plugin: the seed line, once."""
    wanted = False
    for item in items:
        if item.get_closest_marker("harness") is not None and "harness_stress" not in getattr(item, "fixturenames", ()):
            item.fixturenames.append("harness_stress")   # type: ignore[attr-defined]
        wanted |= "harness_stress" in getattr(item, "fixturenames", ())
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if wanted and reporter is not None:
        s = config.stash[_KEY]
        reporter.write_line(f"harness: seed={s.seed} duration={s.duration_text} cpus={s.cpus_text or 'all'}")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    """@pytest.mark.harness(...): the stress runs first; a violation fails the test before its body runs."""
    marker = item.get_closest_marker("harness")
    if marker is not None:
        item.harness_result = item.funcargs["harness_stress"](*marker.args, **marker.kwargs)  # type: ignore


@pytest.fixture
def harness_stress(request: pytest.FixtureRequest) -> Callable[..., object]:
    """A callable: harness_stress(scheme=None, scheme_file=None, rcu="qsbr", workload="alloc", **overrides)
    runs one stress with the session's duration, CPUs and seed (overrides win) and returns the Result; a
    violation fails the test. A relative scheme_file is taken relative to the test file's directory."""
    import harness
    from harness.parse import ConfigError

    settings = request.config.stash[_KEY]

    def run(scheme: str | None = None, scheme_file: str | None = None, rcu: str = "qsbr",
            workload: str = "alloc", **overrides: object) -> harness.Result:
        path = None if scheme_file is None else str(Path(request.path).parent / scheme_file)
        params = {"duration": settings.duration, "cpus": settings.cpus, "seed": settings.seed, **overrides}
        try:
            config = harness.Config(scheme=scheme, scheme_file=path, rcu=rcu, workload=workload, **params)  # type: ignore[arg-type]
        except TypeError as e:   # an override that is no Config field
            pytest.fail(f"harness_stress: {e}", pytrace=False)
        try:
            result = harness.run(config)
        except ConfigError as e:
            pytest.fail(f"harness: {e}", pytrace=False)
        if result.report["verdict"] == "FAILURE":   # a violation, or a worker that crashed
            from harness.report_text import failure_text
            pytest.fail(failure_text(result.report), pytrace=False)
        return result

    return run
