"""pytest plugin (entry point `harness`, loaded wherever this package is installed): stress a scheme, built-in
or your own C file, from your own test suite.

    def test_my_scheme(harness_stress):
        harness_stress(scheme_file="my_scheme.c")        # relative to this test file's directory

`harness_stress(scheme=None, scheme_file=None, **config_overrides)` runs one stress (harness.run) and returns
its Result; on any violation the test fails with the verdict, the first violation, the flight recorder up to
it and the exact reproducing command. Every soak flag is also a session option, on the command line or as an
ini key, read by the flag's own parser: `--harness-rcu mb` / `harness_rcu = mb`, `--harness-cpus 0,2-3`,
`--harness-seed` (default: random, printed in the header), `--harness-duration` (default 2s here, not 10s),
`--harness-no-checks`-style switches as `--harness-checks off`. A test's own arguments win. Or as a marker:

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

PLUGIN_DEFAULTS = {"duration": "2s"}   # the plugin's own defaults, where a test run wants less than a soak


def pytest_addoption(parser: pytest.Parser) -> None:
    """One --harness-NAME option and harness_NAME ini key per Config parameter (harness/soak/config.py)."""
    from harness.soak.config import PARAMS
    group = parser.getgroup("harness", "cpuset-rcu-harness stress runs (the harness_stress fixture and marker)")
    for p in PARAMS:
        default = PLUGIN_DEFAULTS.get(p.name) or p.default_text()
        help_text = f"{p.help} (default: {default})" if default else p.help
        group.addoption(f"--{_dest(p.name).replace('_', '-')}", dest=_dest(p.name), default=None, metavar=p.metavar,
                        help=help_text)
        parser.addini(_dest(p.name), help_text, default=None)


def _dest(name: str) -> str:
    return "harness_" + name


class _Settings:
    """The session's options, parsed once by the soak flags' own parsers: bad values are a usage error before
    any test runs. `overrides` are the Config fields they set; a test's own arguments win over them."""

    def __init__(self, config: pytest.Config) -> None:
        from harness.soak.config import PARAMS, config_from_texts
        from harness.soak.parse import ConfigError

        self.given: dict[str, str] = {}
        self.overrides: dict[str, object] = {}
        try:
            for p in PARAMS:
                text = config.getoption(_dest(p.name)) or config.getini(_dest(p.name)) or PLUGIN_DEFAULTS.get(p.name)
                if text is None:
                    continue
                self.given[p.name] = text
            given = config_from_texts(self.given)
            self.overrides = {name: getattr(given, name) for name in self.given}
            self.overrides.setdefault("seed", random.randrange(1, 2**31))
        except ConfigError as e:
            raise pytest.UsageError(f"harness: {e}") from None
        self.seed = self.overrides["seed"]


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
        options = " ".join(f"{name}={text}" for name, text in s.given.items() if name not in ("seed", "cpus"))
        reporter.write_line(f"harness: seed={s.seed} {options} cpus={s.given.get('cpus', 'all')}")


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
    from harness.soak.parse import ConfigError

    settings = request.config.stash[_KEY]

    def run(scheme: str | None = None, scheme_file: str | None = None, **overrides: object) -> harness.Result:
        path = None if scheme_file is None else str(Path(request.path).parent / scheme_file)
        params = {**settings.overrides, **overrides}
        if scheme is not None or path is not None:   # the test's scheme, not a --harness-scheme one
            params.update(scheme=scheme, scheme_file=path)
        try:
            config = harness.Config(**params)  # type: ignore[arg-type]
        except TypeError as e:   # an override that is no Config field
            pytest.fail(f"harness_stress: {e}", pytrace=False)
        try:
            result = harness.run(config)
        except ConfigError as e:
            pytest.fail(f"harness: {e}", pytrace=False)
        if result.report["verdict"] == "FAILURE":   # a violation, or a worker that crashed
            from harness.report.text import failure_text
            pytest.fail(failure_text(result.report), pytrace=False)
        return result

    return run
