"""`python -m harness bench`: checks-off speed comparisons of schemes with confidence intervals (compare.py)
and reader scaling (scaling.py). Each round is a fresh soak Session run for a fixed time (rounds.py); the
statistics (stats.py) and the noise verdict (noise.py) are plain functions of the rounds' numbers."""
