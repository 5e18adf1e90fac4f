"""inspectkit edition standards_2020: the 2020 standards for inspecting probation services, and their ratings."""

from pathlib import Path

import inspectkit

HERE = Path(__file__).parent


@inspectkit.hookimpl
def register_frameworks(register):
    register(HERE / "framework.yaml")
