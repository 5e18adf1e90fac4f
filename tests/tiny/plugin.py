"""The tiny edition's plugin: a framework, a reference list and a function, as a real plugin registers them."""

from pathlib import Path

import inspectkit

HERE = Path(__file__).parent
EDITION = "tiny_2024"


def is_long(months):
    """Orders of twelve months or more are long."""
    return months >= 12


@inspectkit.hookimpl
def register_frameworks(register):
    register(HERE / "framework.yaml")


@inspectkit.hookimpl
def register_reference_lists(register):
    register(HERE / "offences.yaml")


@inspectkit.hookimpl
def register_functions(register):
    register("is_long", is_long, params=["number"], returns="bool", doc="An order of twelve months or more.")
