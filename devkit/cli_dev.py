"""The developer-workflow commands of ``opsfn``: ``generate-event`` and ``init``.

Kept apart from ``devkit.cli`` so the main command file stays a list of commands; each command here
parses options and delegates to the module that tests call directly (``devkit.generate_event``,
``devkit.scaffold``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

__all__ = ["generate_event_command", "init_command"]


@click.command("generate-event")
@click.argument("platform", type=click.Choice(["functiongraph", "scf"]))
@click.argument("trigger")
@click.option(
    "--body",
    "body_file",
    type=click.File("rb"),
    default=None,
    help="File with the body (- for standard input); default: {} (or nothing for a timer).",
)
@click.option("--path", default="/", show_default=True, help="Request path of a webhook (apig / apigw).")
@click.option("--method", default="POST", show_default=True, help="HTTP method of a webhook.")
@click.option("--topic", default="", help="Topic / trigger name / event source to put in the envelope.")
@click.option(
    "--sign",
    is_flag=True,
    help="Sign a webhook (Standard Webhooks) with OPSFN_WEBHOOK_SECRET, else the local development secret.",
)
def generate_event_command(
    platform: str, trigger: str, body_file: Any, path: str, method: str, topic: str, sign: bool
) -> None:
    """Print the PLATFORM envelope of TRIGGER around a body, ready for `opsfn invoke --event`.

    \b
    functiongraph: apig, timer, kafka, smn, cts, eventgrid
    scf:           apigw, timer, ckafka, cmq
    A JSON array body becomes one queue message per item (kafka, ckafka, cmq); a cts body holds the
    trace's fields (service_type, trace_name, resource_name...); an eventgrid body is the event's data.
    """
    import os

    from devkit.generate_event import generate_event
    from devkit.invoke import signing_secret

    default = b"" if trigger == "timer" else b"{}"
    body = body_file.read() if body_file is not None else default
    try:
        secret = signing_secret(os.environ) if sign else None
        event = generate_event(
            platform, trigger, body, path=path, method=method, topic=topic, sign_secret=secret
        )
    except ValueError as exc:  # GenerateError, or a malformed OPSFN_WEBHOOK_SECRET
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(event, indent=2, ensure_ascii=False))


@click.command("init")
@click.argument("name")
@click.option(
    "--trigger",
    type=click.Choice(["webhook", "kafka", "timer", "cts", "eventgrid"]),  # devkit.scaffold.TRIGGERS
    default="webhook",
    show_default=True,
    help="The trigger the new function starts with.",
)
@click.option(
    "--template",
    "template_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("template.yaml"),
    show_default=True,
    help="The template to add the function to (created when missing).",
)
def init_command(name: str, trigger: str, template_path: Path) -> None:
    """Scaffold function NAME: handler, model, sample events, template entry and a passing test.

    The result passes `opsfn validate` at once; `opsfn invoke NAME --event events/NAME/<sample>.json`
    runs it, and `python -m pytest tests/functions/test_NAME.py` runs its test.
    """
    from devkit.scaffold import ScaffoldError, scaffold

    try:
        created = scaffold(template_path.resolve().parent, name, trigger, template_path.resolve())
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    for path in created:
        click.echo(f"created {path}")
    click.echo(
        f"next: opsfn validate --template {template_path} && opsfn invoke {name} --event {created[-2]}"
    )
