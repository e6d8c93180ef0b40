"""The license_* entries of ``template.yaml``: triggers as built, least privilege.

Least privilege here means exactly what each function calls: the CodeArts IDE API authorises by role only
(seed 000: "No permissions for any one of the roles: [te_admin, readonly]" - no finer IAM actions exist,
and ``readonly`` cannot buy or bind), SMN publish only where the function notifies, and the IAM user list
only for the reconcile roster. A policy added "just in case" fails this test.
"""

from __future__ import annotations

from pathlib import Path

from devkit.template import load_template

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"

EXPECTED = {
    "license_purchase": ({"Webhook", "Kafka"}, {"role:te_admin", "smn:topic:publish"}),
    "license_release": ({"Webhook", "Kafka"}, {"role:te_admin"}),
    "license_reconcile": ({"Timer"}, {"role:te_admin", "smn:topic:publish", "iam:users:listUsers"}),
}


def test_license_functions_have_their_triggers_and_only_the_policies_they_use() -> None:
    template = load_template(TEMPLATE)
    for name, (triggers, policies) in EXPECTED.items():
        function = template.functions[name]
        assert {event.type for event in function.events.values()} == triggers, name
        assert set(function.policies) == policies, name
        assert function.handler == f"functions.{name}.handler.handler"


def test_webhooks_are_verified_and_the_daily_timer_defaults_to_a_dry_run() -> None:
    template = load_template(TEMPLATE)
    for name in ("license_purchase", "license_release"):
        [hook] = [e for e in template.functions[name].events.values() if e.type == "Webhook"]
        assert getattr(hook.properties, "verification", None) == "standard_webhooks", name
    [daily] = template.functions["license_reconcile"].events.values()
    assert getattr(daily.properties, "input", None) == {"dry_run": True}
    [kafka] = [e for e in template.functions["license_purchase"].events.values() if e.type == "Kafka"]
    assert getattr(kafka.properties, "batch_size", 0) >= 10  # room to group purchases into orders of 10
