"""The README works as written: its Python API example runs, and CI runs its test command."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def python_api_example(text: str) -> str | None:
    """The first ```python block under a heading that mentions "Python API" (before the next such heading)."""
    lines = text.splitlines()
    for start, line in enumerate(lines):
        heading = re.match(r"^(#+)\s", line)
        if not heading or "python api" not in line.lower():
            continue
        level = len(heading.group(1))
        block: list[str] | None = None
        for body in lines[start + 1 :]:
            next_heading = re.match(r"^(#+)\s", body)
            if block is None and next_heading and len(next_heading.group(1)) <= level:
                break
            if block is None and re.match(r"^\s*```\s*python\s*$", body):
                block = []
            elif block is not None and re.match(r"^\s*```\s*$", body):
                return "\n".join(block) + "\n"
            elif block is not None:
                block.append(body)
    return None


def test_the_extractor_finds_the_block_under_the_heading() -> None:
    text = "# inspectkit\n```python\nnot this\n```\n## Python API\nSome words.\n```python\nprint(1)\n```\n## Next\n"
    assert python_api_example(text) == "print(1)\n"
    assert python_api_example("## Python API\nno code\n## Other\n```python\nx\n```\n") is None


def test_the_readme_python_api_example_runs() -> None:
    code = python_api_example(README.read_text(encoding="utf-8"))
    assert code is not None, 'README.md needs a ```python block under a heading containing "Python API"'
    # a fresh interpreter in the repository's root folder, where a reader runs it (it may use examples/)
    result = subprocess.run([sys.executable, "-c", code], cwd=README.parent, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"the README example failed:\n{code}\n--- stderr ---\n{result.stderr}"


def first_commands(text: str) -> list[str]:
    """The commands of the README's first two ```bash blocks (set up and run; set up and test)."""
    return re.findall(r"```bash\n(.+?)\n```", text, flags=re.S)[:2]


def test_the_readme_opens_with_the_two_commands_and_ci_runs_its_test_command() -> None:
    text = README.read_text(encoding="utf-8")
    run, test = first_commands(text)
    assert text.index(run) < text.index("inspectkit runs, scores and compares"), "the commands come first"
    assert "inspectkit rate" in run and "examples/" in run
    assert "pytest" in test
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert test in ci.splitlines(), ".ci/run must run the README's own test command, word for word"


def test_no_tracked_file_is_a_build_leftover() -> None:
    """What an install or a test run writes (egg-info, caches) is ignored, so following the README never dirties the tree."""
    import shutil

    if shutil.which("git") is None or not (README.parent / ".git").exists():
        import pytest

        pytest.skip("not a git checkout")
    tracked_but_ignored = subprocess.run(
        ["git", "ls-files", "--cached", "--ignored", "--exclude-standard"],
        cwd=README.parent,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert tracked_but_ignored == [], f"tracked files that .gitignore names (git rm --cached them): {tracked_but_ignored[:10]}"


def test_the_examples_readme_on_a_check_satisfied_by_a_note() -> None:
    """examples/README.md: NPS-N-0067's n/a home visits carry their reason in a note, so no warning; without it, one."""
    import yaml

    import inspectkit

    registry = inspectkit.load_registry()
    if "carag_2019" not in registry.editions():
        import pytest

        pytest.skip("the carag_2019 plugin is not installed")
    path = README.parent / "examples" / "nps-north-2020" / "cases" / "NPS-N-0067.yaml"
    assert "NPS-N-0067" in (README.parent / "examples" / "README.md").read_text(encoding="utf-8")
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    framework = registry.framework("carag_2019")
    result = inspectkit.assess(framework, case)
    assert result.ok and result.warnings == ()
    del case["notes"]["D3.5"]
    assert [w.question for w in inspectkit.assess(framework, case).warnings] == ["D3.5"]
