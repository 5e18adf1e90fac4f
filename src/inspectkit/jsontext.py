"""Strict JSON text for reports and results: what every command writes when asked for ``--format json``.

Kept apart from the modules that make reports so that a one-case command (``assess``) can write its JSON
without importing them.
"""

from __future__ import annotations

import json
import math
from typing import Any


def strict_dumps(value: Any) -> str:
    """Strict JSON, indented, whatever the data holds: NaN and infinity (which JSON has not) are written as null."""
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(value), indent=2, ensure_ascii=False, default=str, allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
