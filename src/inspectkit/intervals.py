"""How sure a percentage is: the 95% Wilson score interval for a proportion.

An inspection rates on samples of tens of cases, so 7 of 12 and 70 of 120 are both 58% but mean different
things. The Wilson interval keeps its bounds inside 0-100 and behaves at the edges (0 of n, n of n, 1 case)
where the textbook "p plus or minus 1.96 standard errors" does not.
"""

from __future__ import annotations

import math

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution


def wilson(numerator: int, denominator: int, z: float = Z95) -> tuple[float, float] | None:
    """The interval as percentages ``(lower, upper)``, unrounded; None where there are no cases.

    >>> wilson(0, 10)[0], round(wilson(0, 10)[1], 1)
    (0.0, 27.8)
    """
    if denominator <= 0:
        return None
    if not 0 <= numerator <= denominator:
        raise ValueError(f"numerator {numerator} is not between 0 and the denominator {denominator}")
    return _wilson(numerator / denominator, denominator, numerator == 0, numerator == denominator, z)


def wilson_share(share: float, n: float, z: float = Z95) -> tuple[float, float] | None:
    """The interval of a share (0-1) as if it came from ``n`` cases (``n`` need not be whole: an effective
    sample size), as percentages; None where ``n`` is not positive."""
    if n <= 0:
        return None
    if not 0 <= share <= 1:
        raise ValueError(f"share {share} is not between 0 and 1")
    return _wilson(share, n, share == 0, share == 1, z)


def _wilson(p: float, n: float, none: bool, every: bool, z: float) -> tuple[float, float]:
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    lower = 0.0 if none else max(0.0, centre - half)
    upper = 1.0 if every else min(1.0, centre + half)
    return 100 * lower, 100 * upper


def rounded(numerator: int, denominator: int) -> tuple[float | None, float | None]:
    """``(lower, upper)`` to one decimal, as reports show them; ``(None, None)`` where there are no cases."""
    bounds = wilson(numerator, denominator)
    if bounds is None:
        return None, None
    return round(bounds[0], 1), round(bounds[1], 1)


def overlap(intervals: list[tuple[float, float]]) -> bool:
    """Whether the intervals share at least one point (every pair overlaps)."""
    return max(lo for lo, _ in intervals) <= min(hi for _, hi in intervals)
