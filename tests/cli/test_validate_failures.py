"""``opsfn validate``: each failure kind gives ``location: message`` and exit 1.

Beyond tests/cli/test_validate.py this pins what ``check_template`` must refuse although it looks
plausible: a sample event that is JSON but not an event (an array, an unknown shape, absurd nesting); a
sample for a trigger the function does not declare; a cron croniter accepts but no cloud can express
(day-of-month *and* day-of-week), which would otherwise only surface at render time. It also proves the
IAM catalogue is exactly seed 002 chapter 4 (misspellings kept, as IAM matches literally), that unknown
roles and wildcards over nothing are refused, that every problem is reported in one run, and that a
handler raising at import is a finding, not a crash.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from devkit.cli import main
from devkit.iam_actions import APIG_ACTIONS, is_known
from tests.cli._cli_helpers import Project, make_project

SEED_002 = Path("/work/shared/seeds/002_1915b8bbfbb7be25.txt")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    import sys

    monkeypatch.setenv("OPSFN_STATE_DIR", str(tmp_path / "state"))
    made = make_project(tmp_path)
    yield made
    sys.path.remove(str(made.root))
    for name in [m for m in sys.modules if m == made.package or m.startswith(made.package + ".")]:
        del sys.modules[name]


def _validate(project: Project) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["validate", "--template", str(project.template)])
    return result.exit_code, result.stdout, result.stderr


def _replace(old: str, new: str) -> Callable[[Project], None]:
    def change(project: Project) -> None:
        text = project.template.read_text(encoding="utf-8")
        assert old in text, old
        project.template.write_text(text.replace(old, new, 1), encoding="utf-8")

    return change


def _sample(function: str, name: str, text: str) -> Callable[[Project], None]:
    def change(project: Project) -> None:
        (project.root / "events" / function / name).write_text(text, encoding="utf-8")

    return change


def _binary_sample(project: Project) -> None:
    (project.root / "events" / "demo" / "bin.json").write_bytes(b"\xff\xfe{")


def _handler_raises(project: Project) -> None:
    path = project.root / project.package / "demo" / "handler.py"
    path.write_text('raise RuntimeError("boom at import")\n', encoding="utf-8")


TIMER = (
    '{"version": "v1.0", "time": "2026-11-23T02:30:00+00:00", "trigger_type": "TIMER", "user_event": "{}"}'
)

CASES: list[tuple[str, Callable[[Project], None], str]] = [
    (
        "role",
        _replace("- smn:topic:publish", "- role:admin"),
        "Functions.demo.Policies[0]: unknown IAM action or role 'role:admin'",
    ),
    (
        "wildcard",
        _replace("- smn:topic:publish", "- foo:*"),
        "Functions.demo.Policies[0]: unknown IAM action or role 'foo:*'",
    ),
    (
        "spelling",
        _replace("- smn:topic:publish", "- apig:apis:listBindedThrottles"),
        "unknown IAM action or role 'apig:apis:listBindedThrottles'",
    ),
    (
        "both-days",
        _replace("Rate: 1m", "Cron: '0 3 1 * 1'"),
        "Functions.demo.Events.tick.Cron: '0 3 1 * 1' restricts both day-of-month and day-of-week",
    ),
    (
        "array",
        _sample("demo", "list.json", "[1, 2]"),
        "events/demo/list.json: an event must be a JSON object, not list",
    ),
    (
        "shape",
        _sample("demo", "odd.json", '{"foo": 1}'),
        "events/demo/odd.json: not an event opsfn recognises",
    ),
    (
        "nested",
        _sample("demo", "deep.json", "[" * 100_000 + "]" * 100_000),
        "events/demo/deep.json: not valid JSON: nested too deeply",
    ),
    (
        "undeclared",
        _sample("second", "timer.json", TIMER),
        "events/second/timer.json: a timer event, but Functions.second.Events declares no such trigger "
        "(has: Webhook)",
    ),
    ("not-utf8", _binary_sample, "events/demo/bin.json: not valid JSON"),
    ("import-raises", _handler_raises, "Functions.demo.Handler: cannot import"),
    ("event-type", _replace("Type: Kafka", "Type: Sqs"), "Functions.demo.Events.orders"),
    (
        "unknown-key",
        _replace("Description: demo function", "Descripton: demo function"),
        "Functions.demo.Descripton",
    ),
]


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_failure_kind_is_located_and_exits_1(
    project: Project, change: Callable[[Project], None], expected: str
) -> None:
    change(project)
    code, out, err = _validate(project)
    assert code == 1, out
    assert expected in err, err
    # Every problem line is "location: message"; the summary line closes the list; stdout has no problem.
    lines = err.strip().splitlines()
    assert re.fullmatch(r"\d+ problem\(s\) found", lines[-1]) or "template.yaml" in lines[0], lines
    assert all(": " in line for line in lines[:-1]), lines
    assert expected not in out
    assert "Traceback" not in err + out


def test_every_problem_is_reported_in_one_run(project: Project) -> None:
    _replace("- smn:topic:publish", "- role:admin")(project)
    _replace("Rate: 1m", "Cron: '61 * * * *'")(project)
    _sample("demo", "odd.json", '{"foo": 1}')(project)
    code, _, err = _validate(project)
    assert code == 1
    assert "3 problem(s) found" in err
    assert "Policies[0]" in err and "Cron" in err and "odd.json" in err


def test_the_literal_seed_spellings_and_wildcards_are_accepted() -> None:
    """IAM matches action names literally, so the seed's own spellings are the valid ones."""
    assert is_known("apig:apis:listBindedTrotles") and not is_known("apig:apis:listBindedThrottles")
    assert is_known("apig:throttles:listUnbindApis")
    assert is_known("apig:*") and is_known("apig:apis:*") and not is_known("apig:nothing:*")
    assert is_known("role:te_admin") and not is_known("role:TE_ADMIN") and not is_known("role:")


@pytest.mark.skipif(not SEED_002.exists(), reason="the handbook's seed 002 is not on this machine")
def test_apig_catalogue_is_exactly_seed_002_chapter_4() -> None:
    seed = set(re.findall(r"apig:[A-Za-z]+:[A-Za-z]+", SEED_002.read_text(encoding="utf-8")))
    assert len(seed) == 82
    assert seed == set(APIG_ACTIONS)
