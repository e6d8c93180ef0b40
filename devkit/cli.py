"""The ``opsfn`` command line: validate, invoke, serve, package, render, emulator.

Why thin: each command parses options, prints progress and delegates to a module that tests call
directly (``devkit.invoke``, ``devkit.serve``, ``devkit.package``, ``devkit.render``). Heavy imports
stay inside the commands so ``opsfn --help`` is instant.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from devkit.bench_cmd import bench_command
from devkit.cli_dev import generate_event_command, init_command
from devkit.emulator.command import emulator_command

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])

_TEMPLATE_OPTION = click.option(
    "--template",
    "template_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("template.yaml"),
    show_default=True,
    help="The opsfn template.",
)


_TARGET_OPTION = click.option(
    "--target",
    type=click.Choice(["auto", "emulator", "cloud"]),
    default="auto",
    show_default=True,
    help="auto: the embedded emulator unless real credentials or OPSFN_ENDPOINT_* are configured.",
)


def _folder_option(*decls: str, help: str, default: Path | None = None) -> Callable[[F], F]:
    """A folder-path option (shown with its default when it has one)."""
    return click.option(
        *decls,
        type=click.Path(file_okay=False, path_type=Path),
        default=default,
        show_default=default is not None,
        help=help,
    )


def _load(template_path: Path) -> Any:
    """Load the template or exit 1 listing every ``location: message``."""
    from devkit.template import TemplateError, load_template

    try:
        return load_template(template_path)
    except TemplateError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        raise SystemExit(1) from None


def _root(template_path: Path) -> Path:
    """The project root: the template's folder, importable so handlers resolve like on the platform."""
    root = template_path.resolve().parent
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return root


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="opsfn", prog_name="opsfn")
def main() -> None:
    """opsfn: event-driven automation functions for FunctionGraph and SCF, with a local cloud emulator."""


main.add_command(emulator_command)
main.add_command(generate_event_command)
main.add_command(init_command)
main.add_command(bench_command)


@main.command()
@click.option("--production", is_flag=True, help="Also check what would make a deployment unsafe.")
@_TEMPLATE_OPTION
def validate(template_path: Path, production: bool) -> None:
    """Check the template: schema, handlers importable, sample events, cron, IAM policies.

    Each problem is printed to stderr as `location: message` (e.g. `Functions.x.Policies[0]: unknown
    IAM action or role ...`); the exit code is 1 when there is any problem, 0 otherwise. --production
    adds `error|warning|note: location: message; fix: ...` findings (devkit/production.py); errors fail.
    """
    from devkit.template import check_template

    click.echo(f"checking schema of {template_path} ...")
    template = _load(template_path)
    root = _root(template_path)
    click.echo(f"checking {len(template.functions)} function(s): handlers, sample events, cron, policies ...")
    problems = check_template(template, root)
    if production:
        from devkit.production import production_findings

        findings = production_findings(template)
        problems += [f.line() for f in findings if f.level == "error"]
        for finding in (f for f in findings if f.level != "error"):
            click.echo(finding.line(), err=True)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) found", err=True)
        raise SystemExit(1)
    events = sum(len(fn.events) for fn in template.functions.values())
    click.echo(
        f"ok: {len(template.functions)} function(s), {events} trigger(s), "
        f"{len(template.workflows)} workflow(s)"
    )


@main.command()
@click.argument("name")
@click.option(
    "--event",
    "event_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Event JSON file (e.g. events/<name>/webhook.json).",
)
@click.option(
    "--platform",
    type=click.Choice(["local", "functiongraph", "scf"]),
    default=None,
    help="Call the FunctionGraph or SCF entry point (default: detected from the event).",
)
@click.option("--context-json", default=None, help="Extra context fields as JSON (request_id, timeout...).")
@_TARGET_OPTION
@click.option("--no-sign", is_flag=True, help="Do not sign sample webhooks (to see a 401).")
@click.option(
    "--env-vars",
    "env_vars",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help='JSON file of variables, like SAM: {"Parameters": {global}, "<function>": {its own}}.',
)
@click.option("--fail-on-error", is_flag=True, help="Exit 1 when the function answers an error.")
@_TEMPLATE_OPTION
def invoke(
    name: str,
    event_path: Path,
    platform: str | None,
    context_json: str | None,
    target: str,
    no_sign: bool,
    env_vars: Path | None,
    fail_on_error: bool,
    template_path: Path,
) -> None:
    """Run function NAME once on an event and print the platform response JSON.

    The exit code is 0 whatever the function answered, unless --fail-on-error: then an error status
    (4xx/5xx, a failed timer or event, failed queue records) exits 1, for scripts and CI.
    """
    from devkit.invoke import InvokeError, invoke_file, load_env_vars, log_to_stderr

    log_to_stderr()
    template = _load(template_path)
    root = _root(template_path)
    try:
        context = json.loads(context_json) if context_json else {}
        if not isinstance(context, dict):
            raise InvokeError("--context-json must be a JSON object")
        result = invoke_file(
            template,
            root,
            name,
            event_path,
            platform=platform,
            context_fields=context,
            target=target,
            sign=not no_sign,
            echo=lambda line: click.echo(line, err=True),
            env_overrides=load_env_vars(env_vars, name) if env_vars else None,
        )
    except (InvokeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(result.response, indent=2, ensure_ascii=False))
    if fail_on_error and not result.ok:
        raise SystemExit(1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface for the webhook port.")
@click.option("--port", default=8700, show_default=True, type=click.IntRange(0, 65535), help="Webhook port.")
@click.option(
    "--emulator-port",
    default=8600,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port of the emulator for external tools (0: any free port).",
)
@_folder_option("--queue-dir", help="Watch this folder for <function>*.json files of queue messages.")
@click.option("--stdin", "use_stdin", is_flag=True, help="Read JSON lines {function, messages} from stdin.")
@click.option("--duration", type=float, default=None, help="Stop after N seconds (tests, demos).")
@click.option("--once", is_flag=True, help="Fire every timer and workflow once at start-up, then stop.")
@_TARGET_OPTION
@_TEMPLATE_OPTION
def serve(template_path: Path, **options: Any) -> None:
    """Run every function locally: webhooks on one port, timers, workflows and queues.

    \b
    On the webhook port:
      <METHOD> <path>          every Webhook route of the template (sign with `opsfn send`)
      POST /queue/<function>   a JSON array of queue messages, delivered as one batch
      POST /workflows/<name>   run a workflow on the JSON body; answers the last step's output
      GET  /healthz            the routes being served

    Timers fire on their Cron/Rate schedule (UTC). One line is printed per invocation (time,
    function, trigger, status, duration); the functions' JSON logs go to stderr. Ctrl-C stops it.
    """
    from devkit.serve import ServeError, ServeOptions, run_serve

    template = _load(template_path)
    root = _root(template_path)
    try:  # every other option is a field of ServeOptions, by the same name
        run_serve(template, root, ServeOptions(**options), echo=click.echo)
    except ServeError as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@click.argument("names", nargs=-1)
@click.option(
    "--python",
    "python_version",
    default="3.10",
    show_default=True,
    help="CPython version of the function runtime (wheels and byte code are built for it).",
)
@_folder_option(
    "--out", default=Path("dist"), help="Folder for the <function>.zip files and their unpacked <function>/."
)
@_folder_option(
    "--cache", help="Wheel cache (default: $XDG_CACHE_HOME/opsfn/wheels or ~/.cache/opsfn/wheels)."
)
@click.option(
    "--with",
    "extras",
    multiple=True,
    type=click.Choice(["redis"]),
    help="Bundle an optional dependency (redis: the store is set to Redis at deploy time).",
)
@_TEMPLATE_OPTION
def package(
    names: tuple[str, ...],
    python_version: str,
    out: Path,
    cache: Path | None,
    extras: tuple[str, ...],
    template_path: Path,
) -> None:
    """Build one zip per function (default: all) with platform wheels; print each size.

    A zip holds functions/<name>/, shared/ and only the third-party packages that function imports,
    as manylinux2014 x86_64 wheels for --python (each download announced, then cached), plus byte
    code for that version when a matching interpreter is installed. Zips over 5 MB are flagged. The
    unpacked tree stays next to each zip: the SCF target's `src` uploads that folder.
    """
    import os

    from devkit.package import PackageError, build_package, check_python_version

    try:
        check_python_version(python_version)
    except PackageError as exc:
        raise click.ClickException(str(exc)) from None
    template = _load(template_path)
    root = _root(template_path)
    unknown = [n for n in names if n not in template.functions]
    if unknown:
        raise click.ClickException(f"unknown function(s): {', '.join(unknown)}")
    if cache is None:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        cache = base / "opsfn" / "wheels"
    limit = 5 * 1024 * 1024
    over = []
    for name in names or tuple(template.functions):
        click.echo(f"packaging {name} (CPython {python_version}, manylinux2014_x86_64) ...")
        try:
            result = build_package(
                template,
                name,
                root,
                out,
                python_version=python_version,
                cache=cache,
                echo=click.echo,
                extras=extras,
            )
        except PackageError as exc:
            raise click.ClickException(str(exc)) from None
        flag = "" if result.size <= limit else "  (over the 5 MB goal)"
        if result.size > limit:
            over.append(name)
        click.echo(
            f"  {result.path}  {result.size / 1024 / 1024:.2f} MB  [{', '.join(result.distributions)}]{flag}"
        )
        click.echo(f"  {result.path.with_suffix('')}{os.sep}  the same files unpacked (SCF's src)")
    if over:
        click.echo(f"warning: {', '.join(over)} over 5 MB", err=True)


@main.command()
@click.option(
    "--target",
    type=click.Choice(["functiongraph-terraform", "serverless-devs", "scf"]),
    required=True,
    help="Deployment format.",
)
@_folder_option("--out", help="Output folder (default: deploy/<target>).")
@_folder_option(
    "--dist",
    default=Path("dist"),
    help="Where `opsfn package` put the zips (paths in the output are relative to --out).",
)
@click.option("--scf-region", default="ap-guangzhou", show_default=True, help="Region for SCF.")
@_TEMPLATE_OPTION
def render(target: str, out: Path | None, dist: Path, scf_region: str, template_path: Path) -> None:
    """Generate deployment files from the template (Terraform JSON, s.yaml, serverless.yml).

    Triggers, environment, agency/role and least-privilege IAM policies come from the template; cron
    is converted to each platform's dialect. A trigger the target cannot express is printed as a
    `note:` on stderr (and recorded in the output), never dropped silently.
    """
    from devkit.render import render as do_render

    template = _load(template_path)
    out = out or Path("deploy") / target
    rendered = do_render(template, target, out, dist=dist, scf_region=scf_region)
    for path in rendered.write(out):
        click.echo(f"wrote {path}")
    for note in rendered.notes:
        click.echo(f"note: {note}", err=True)
    for warning in rendered.warnings:
        click.echo(f"warning: {warning}", err=True)


@main.command()
@click.argument("path", required=False)
@click.option(
    "--data",
    "data_file",
    type=click.File("rb"),
    default="-",
    show_default=True,
    help="Body to send (a file, or - for standard input); a sample event's body is extracted from it.",
)
@click.option(
    "--url", default="http://127.0.0.1:8700", show_default=True, help="Where `opsfn serve` listens."
)
@click.option("--method", default="POST", show_default=True, help="HTTP method of the webhook route.")
@click.option("--id", "msg_id", help="webhook-id to send (repeat one to act out a sender's redelivery).")
def send(path: str | None, data_file: Any, url: str, method: str, msg_id: str | None) -> None:
    """Sign a body as a Standard Webhook and send it to PATH on `opsfn serve`; print the answer.

    --data may be a plain body or a sample event (events/<function>/webhook.json): the body is taken
    out of the envelope, and PATH defaults to the envelope's path. The secret is OPSFN_WEBHOOK_SECRET
    (the first one when several are listed), else the documented local development secret - the same
    one `opsfn serve` and `opsfn invoke` verify against.
    """
    import os
    import time
    import uuid

    import httpx

    from devkit.invoke import InvokeError, check_webhook_secrets, signing_secret, webhook_body
    from shared.verify import sign_standard_webhook

    try:
        check_webhook_secrets(os.environ)
    except InvokeError as exc:
        raise click.ClickException(str(exc)) from None
    body, envelope_path = webhook_body(data_file.read())
    path = path or envelope_path
    if not path:
        raise click.ClickException("give PATH (e.g. /hooks/license/purchase) or a sample event as --data")
    headers = sign_standard_webhook(
        signing_secret(os.environ), msg_id or f"msg_{uuid.uuid4().hex}", int(time.time()), body
    )
    headers["Content-Type"] = "application/json"
    target = url.rstrip("/") + "/" + path.lstrip("/")
    try:
        response = httpx.request(method.upper(), target, content=body, headers=headers, timeout=60.0)
    except httpx.HTTPError as exc:
        click.echo(f"cannot reach {target}: {type(exc).__name__} (is `opsfn serve` running?)", err=True)
        raise SystemExit(2) from None
    replayed = " (replayed)" if response.headers.get("Idempotent-Replayed") == "true" else ""
    click.echo(f"HTTP {response.status_code}{replayed}", err=True)
    click.echo(response.text)
    raise SystemExit(0 if response.status_code < 400 else 1)
