"""A second tiny plugin: an instrument whose cases are evidence for tiny_2024, and an unrelated edition."""

from pathlib import Path

import inspectkit

HERE = Path(__file__).parent


@inspectkit.hookimpl
def register_frameworks(register):
    register(HERE / "instrument.yaml")
    register(HERE / "stranger.yaml")
