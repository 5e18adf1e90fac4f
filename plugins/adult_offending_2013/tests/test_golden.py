"""Golden cases for adult_offending_2013: each file in golden/ is a case and the result it must give."""

from pathlib import Path

from inspectkit.testing import golden_tests

test_golden = golden_tests(Path(__file__).parent / "golden")
