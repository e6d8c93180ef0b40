"""``opsfn validate --production`` and the warnings of ``opsfn render``: what would make a deployment
unsafe, each finding with its location and its fix; errors fail the command."""

from __future__ import annotations

from pathlib import Path

from _cli_helpers import Project
from click.testing import CliRunner

from devkit.cli import main
from devkit.invoke import DEV_WEBHOOK_SECRET
from devkit.production import production_findings, retry_budget_seconds
from devkit.template import load_template

REPO = Path(__file__).resolve().parents[2]

SAFE_GLOBALS = """Globals:
  Timeout: 130
  Environment:
    Variables:
      OPSFN_IDEMPOTENCY_STORE: redis://dcs.internal:6379/0
      OPSFN_SMN_TOPIC_URN: urn:smn:cn-north-4:0123456789abcdef0123456789abcdef:opsfn-alerts
Functions:
"""


def _validate(runner: CliRunner, template: Path) -> tuple[int, list[str]]:
    result = runner.invoke(main, ["validate", "--production", "--template", str(template)])
    lines = [line for line in result.stderr.splitlines() if line.startswith(("error:", "warning:", "note:"))]
    assert all("; fix: " in line for line in lines), lines
    return result.exit_code, lines


def _make_safe(project: Project) -> str:
    text = project.template.read_text(encoding="utf-8").replace("Functions:\n", SAFE_GLOBALS, 1)
    project.template.write_text(text, encoding="utf-8")
    return text


def test_an_unsafe_template_fails_with_a_fix_for_each_finding(project: Project, runner: CliRunner) -> None:
    code, lines = _validate(runner, project.template)
    assert code == 1
    errors = [line for line in lines if line.startswith("error:")]
    assert any(
        "Functions.demo.Environment: no shared idempotency store for its Kafka, Webhook" in e for e in errors
    )
    assert any(
        "Functions.second.Environment: no shared idempotency store for its Webhook" in e for e in errors
    )
    assert any("Functions.demo.Environment: the function reports to SMN" in e for e in errors)
    plain = runner.invoke(main, ["validate", "--template", str(project.template)])
    assert plain.exit_code == 0  # the same template is well-formed; only --production objects


def test_a_safe_template_passes(project: Project, runner: CliRunner) -> None:
    _make_safe(project)
    code, lines = _validate(runner, project.template)
    assert code == 0 and not [line for line in lines if line.startswith("error:")], lines


def test_dev_secret_wildcards_and_unverified_routes_are_errors(project: Project, runner: CliRunner) -> None:
    text = _make_safe(project)
    text = text.replace(
        "      OPSFN_IDEMPOTENCY_STORE",
        f"      OPSFN_WEBHOOK_SECRET: {DEV_WEBHOOK_SECRET}\n      OPSFN_IDEMPOTENCY_STORE",
    )
    text = text.replace("      - smn:topic:publish", "      - smn:topic:publish\n      - apig:apis:*")
    text = text.replace(
        "          Path: /hooks/second", "          Path: /hooks/second\n          Verification: none"
    )
    project.template.write_text(text, encoding="utf-8")
    code, lines = _validate(runner, project.template)
    assert code == 1
    joined = "\n".join(lines)
    assert (
        "error: Functions.demo.Environment.OPSFN_WEBHOOK_SECRET: the local development webhook secret"
        in joined
    )
    assert "error: Functions.demo.Policies[1]: wildcard policy 'apig:apis:*'" in joined
    assert "error: Functions.second.Events: a webhook route without verification" in joined
    assert DEV_WEBHOOK_SECRET not in joined  # a finding names the variable, never the value


def test_a_timeout_below_the_retry_budget_is_a_warning(project: Project, runner: CliRunner) -> None:
    text = _make_safe(project).replace("  Timeout: 130\n", "  Timeout: 60\n")
    project.template.write_text(text, encoding="utf-8")
    code, lines = _validate(runner, project.template)
    assert code == 0
    assert any(line.startswith("warning: Functions.demo.Timeout: 60 s is shorter") for line in lines), lines
    assert retry_budget_seconds(15) == 120  # 4 attempts x 15 s + 3 waits x at most 20 s


def test_roles_are_a_note_and_the_repository_template_names_its_gaps(runner: CliRunner) -> None:
    findings = production_findings(load_template(REPO / "template.yaml"))
    notes = [f for f in findings if f.level == "note"]
    assert notes and all("te_admin" in f.message for f in notes)
    stores = [f.location for f in findings if f.level == "error" and "idempotency store" in f.message]
    template = load_template(REPO / "template.yaml")
    # The repository's template sets no Redis store (the line is commented out in Globals), so exactly the
    # functions the platforms may deliver twice are named: webhook, queue, SMN and audit-event triggers.
    delivered = {"Webhook", "Kafka", "Smn", "Cts", "EventGrid"}
    expected = [
        f"Functions.{name}.Environment"
        for name, fn in template.functions.items()
        if {event.type for event in fn.events.values()} & delivered
    ]
    assert "Functions.license_purchase.Environment" in expected
    assert stores == expected


def test_render_prints_the_findings_as_warnings(project: Project, runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "deploy"
    result = runner.invoke(
        main, ["render", "--target", "scf", "--out", str(out), "--template", str(project.template)]
    )
    assert result.exit_code == 0, result.output
    assert "warning: Functions.demo.Environment: no shared idempotency store" in result.stderr
