"""Bootstrap confidence intervals for medians and for ratios of medians of interleaved rounds. Percentile
bootstrap with a fixed generator seed, so the same rounds always give the same interval."""

from __future__ import annotations

import numpy as np

RESAMPLES = 4000
CONFIDENCE = 0.95
_SEED = 20051


def _bounds(samples: np.ndarray) -> tuple[float, float]:
    tail = (1 - CONFIDENCE) / 2 * 100
    lo, hi = np.percentile(samples, [tail, 100 - tail])
    return float(lo), float(hi)


def _indices(n: int) -> np.ndarray:
    return np.random.default_rng(_SEED).integers(0, n, size=(RESAMPLES, n))


def median_ci(values: list[float]) -> tuple[float, float, float]:
    """(median, low, high) of the rounds' values."""
    x = np.asarray(values, dtype=float)
    return float(np.median(x)), *_bounds(np.median(x[_indices(len(x))], axis=1))


def ratio_ci(slow: list[float], fast: list[float]) -> tuple[float, float, float]:
    """(median(slow) / median(fast), low, high). Round i of both was run back to back, so the rounds are
    resampled in pairs: drift that hit both schemes in a round stays paired instead of widening the interval."""
    a, b = np.asarray(slow, dtype=float), np.asarray(fast, dtype=float)
    idx = _indices(len(a))
    ratios = np.median(a[idx], axis=1) / np.median(b[idx], axis=1)
    return float(np.median(a) / np.median(b)), *_bounds(ratios)


def spread(values: list[float]) -> float:
    """Round-to-round spread: the median absolute deviation over the median (0.05: rounds within about 5%)."""
    x = np.asarray(values, dtype=float)
    med = np.median(x)
    return float(np.median(np.abs(x - med)) / med) if med else 0.0
