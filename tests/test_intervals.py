"""The 95% Wilson interval every percentage carries: its edges, where a textbook interval goes wrong."""

from __future__ import annotations

import pytest

from inspectkit.intervals import overlap, rounded, wilson


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (4, 5, (37.6, 96.4)),  # published Wilson values for 4/5
        (0, 10, (0.0, 27.8)),  # none sufficient: the lower bound is exactly 0, the upper is not
        (10, 10, (72.2, 100.0)),  # all sufficient: the upper bound is exactly 100
        (0, 1, (0.0, 79.3)),  # one case says little either way
        (1, 1, (20.7, 100.0)),
        (19, 23, (62.9, 93.0)),
    ],
)
def test_wilson_bounds(numerator: int, denominator: int, expected: tuple[float, float]) -> None:
    assert rounded(numerator, denominator) == expected


def test_no_cases_has_no_interval() -> None:
    assert wilson(0, 0) is None and rounded(0, 0) == (None, None)


def test_bounds_stay_inside_0_100_and_hold_the_percentage() -> None:
    for d in range(1, 60):
        for n in range(d + 1):
            lo, hi = wilson(n, d)
            assert 0.0 <= lo <= 100 * n / d <= hi <= 100.0


def test_more_cases_narrow_the_interval() -> None:
    lo12, hi12 = wilson(7, 12)
    lo120, hi120 = wilson(70, 120)
    assert hi120 - lo120 < hi12 - lo12


def test_a_numerator_above_the_denominator_is_refused() -> None:
    with pytest.raises(ValueError):
        wilson(3, 2)


def test_overlap() -> None:
    assert overlap([(10.0, 40.0), (35.0, 60.0)])
    assert not overlap([(10.0, 40.0), (45.0, 60.0)])
    assert not overlap([(10.0, 40.0), (35.0, 60.0), (50.0, 70.0)])  # every pair must share a point
