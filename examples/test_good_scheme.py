"""good_scheme.c under the harness's torture run, from an ordinary pytest suite (the `harness` plugin comes
with the package). Passes: the scheme has no race the oracles can find."""


def test_good_scheme_survives_torture(harness_stress):
    result = harness_stress(scheme_file="good_scheme.c")   # relative to this file's directory
    assert result.report["ops"] > 0


def test_good_scheme_on_the_mb_flavor_reading_only(harness_stress):
    harness_stress(scheme_file="good_scheme.c", rcu="mb", workload="deref")
