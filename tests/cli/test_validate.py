"""``opsfn validate``: a good project passes; every kind of problem exits 1 with a located message."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from _cli_helpers import Project
from click.testing import CliRunner

from devkit.cli import main


def run(runner: CliRunner, project: Project) -> tuple[int, str, str]:
    result = runner.invoke(main, ["validate", "--template", str(project.template)])
    return result.exit_code, result.stdout, result.stderr


def test_valid_project_passes_with_progress(runner: CliRunner, project: Project) -> None:
    code, out, err = run(runner, project)
    assert code == 0, err
    assert "checking schema" in out
    assert "ok: 2 function(s), 4 trigger(s), 1 workflow(s)" in out


def _replace(old: str, new: str) -> Callable[[Project], None]:
    def change(project: Project) -> None:
        text = project.template.read_text(encoding="utf-8")
        assert old in text, old
        project.template.write_text(text.replace(old, new, 1), encoding="utf-8")

    return change


def _write_event(project: Project) -> None:
    (project.root / "events" / "demo" / "broken.json").write_text("{not json", encoding="utf-8")


def _drop_events(project: Project) -> None:
    for path in (project.root / "events" / "second").glob("*.json"):
        path.unlink()


def _drop_main_handler(project: Project) -> None:
    path = project.root / project.package / "demo" / "handler.py"
    path.write_text(path.read_text(encoding="utf-8").replace("main_handler = ", "other = "), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            _replace("Rate: 1m", "Cron: '61 * * * *'"),
            "Functions.demo.Events.tick.Cron: '61 * * * *' is not a valid cron",
        ),
        (_replace("Rate: 1m", "Rate: 5 minutes"), "Functions.demo.Events.tick.Timer.Properties"),
        (
            _replace("- smn:topic:publish", "- smn:topic:publishh"),
            "Functions.demo.Policies[0]: unknown IAM action",
        ),
        (
            _replace(".demo.handler.handler\n    CodeUri", ".demo.nothere.handler\n    CodeUri"),
            "Functions.demo.Handler: cannot import",
        ),
        (
            _replace(".demo.handler.handler\n    CodeUri", ".demo.handler.nothing\n    CodeUri"),
            "has no callable 'nothing'",
        ),
        (_drop_main_handler, "has no SCF entry point 'main_handler'"),
        (_replace("/demo\n    Description", "/missing\n    Description"), "Functions.demo.CodeUri: folder"),
        (_drop_events, "Functions.second: no sample events in events/second/"),
        (_write_event, "events/demo/broken.json: not valid JSON"),
        (_replace("Function: second", "Function: third"), "workflow 'chain' names unknown function 'third'"),
        (
            _replace("Version: opsfn/2026-11", "Version: 2"),
            "template.yaml: Version: Input should be 'opsfn/2026-11'",
        ),
        (_replace("Description: demo function", "MemorySize: 300"), "MemorySize 300 is not one of"),
        (
            _replace("Path: /hooks/demo", "Path: hooks demo"),
            "Functions.demo.Events.hook.Webhook.Properties.Path",
        ),
        (_replace("  chain:", "  chain: [\n"), "not valid YAML"),
        (_replace("Rate: 1m", "Cron: '0 30 2 * * *'"), "must have 5 fields"),
        (
            _replace("Path: /hooks/second", "Path: /hooks/demo\n          Method: POST"),
            "Functions.second.Events.hook: POST /hooks/demo is already the route of Functions.demo.Events",
        ),
    ],
)
def test_each_problem_is_reported_with_its_location(
    runner: CliRunner, project: Project, change: Callable[[Project], None], expected: str
) -> None:
    change(project)
    code, _out, err = run(runner, project)
    assert code == 1
    assert expected in err


def test_missing_template_file(runner: CliRunner, project: Project) -> None:
    project.template.unlink()
    code, _out, err = run(runner, project)
    assert code == 1
    assert "template.yaml: file not found" in err


def test_real_template_schema_loads() -> None:
    """The repository's own template satisfies the schema (handlers are checked by the other tests)."""
    from _cli_helpers import REPO

    from devkit.template import load_template

    template = load_template(REPO / "template.yaml")
    assert template.functions
