"""Triage of a failed run: rerun it, measure how often it reproduces, shrink it to a smaller one."""
