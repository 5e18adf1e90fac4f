"""inspectkit edition carag_2019: the case assessment rules and guidance (CARaG) for the 2020 standards."""

from pathlib import Path

import inspectkit

HERE = Path(__file__).parent


@inspectkit.hookimpl
def register_frameworks(register):
    register(HERE / "framework.yaml")


@inspectkit.hookimpl
def register_crosswalks(register):
    register(HERE / "crosswalk.yaml")
