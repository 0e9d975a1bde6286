"""buggy_scheme.c under the harness. THIS TEST IS EXPECTED TO FAIL: it is the demonstration. The scheme takes a
reference with inc_not_zero but never rechecks that the task still points at the object, so on a
SLAB_TYPESAFE_BY_RCU cache it can read a recycled cpuset; the failure report shows the first violation,
the flight recorder leading up to it, and the command that reproduces the run."""


def test_buggy_scheme_is_caught(harness_stress):
    harness_stress(scheme_file="buggy_scheme.c")
