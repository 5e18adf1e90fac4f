"""inspectkit edition qi_2017: the 2017 Quality & Impact case assessment guidance.

It also provides the reference list ``schedule15`` (Appendix 1 of its guidance: the offences specified in
Schedule 15 to the Criminal Justice Act 2003), the one copy every edition that needs it uses.
"""

from pathlib import Path

import inspectkit

HERE = Path(__file__).parent


@inspectkit.hookimpl
def register_frameworks(register):
    register(HERE / "framework.yaml")


@inspectkit.hookimpl
def register_reference_lists(register):
    register(HERE / "schedule15.yaml")


@inspectkit.hookimpl
def register_crosswalks(register):
    register(HERE / "crosswalk.yaml")
