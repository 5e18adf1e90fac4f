"""The criteria document's "See also section 4.x" cross-references reach the user through `questions`."""

import json

from click.testing import CliRunner

from inspectkit.cli import main


def test_see_also_links_are_shown_by_questions() -> None:
    runner = CliRunner()
    one = runner.invoke(main, ["questions", "-e", "adult_offending_2013", "--id", "5.1", "--format", "json"])
    assert one.exit_code == 0, one.output
    assert json.loads(one.stdout)["links"] == ["4.1"]
    tree = runner.invoke(main, ["questions", "-e", "adult_offending_2013", "--format", "table"]).stdout
    line = next(x for x in tree.splitlines() if x.strip().startswith("5.1 "))
    assert line.endswith("(see also 4.1)")
