"""inspectkit edition adult_offending_2013: the 2013 criteria for the inspection of adult offending work."""

from pathlib import Path

import inspectkit

HERE = Path(__file__).parent


@inspectkit.hookimpl
def register_frameworks(register):
    register(HERE / "framework.yaml")


@inspectkit.hookimpl
def register_crosswalks(register):
    register(HERE / "crosswalk.yaml")
