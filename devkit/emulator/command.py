"""``opsfn emulator``: serve every faked cloud API on one local port.

Wired into the ``opsfn`` group by :mod:`devkit.cli` with ``add_command(emulator_command)``.
"""

from __future__ import annotations

import click

from devkit.emulator.fault_targets import unknown_fault_targets
from devkit.emulator.faults import FAULT_KINDS, parse_fault_spec

__all__ = ["emulator_command"]

_EPILOG = """\
\b
Pointing tools at the emulator (base URL http://HOST:PORT):
  opsfn functions / shared clients:
    export OPSFN_ENDPOINT_IAM=http://127.0.0.1:8600   (likewise OPSFN_ENDPOINT_IDE, _CSMS,
    _APIG, _SMN, _TENCENT_APIGW) - every service is on the same port.
  Official SDKs: pass the URL as the endpoint override, e.g.
    huaweicloudsdkcore: ApigClient.new_builder().with_endpoints(["http://127.0.0.1:8600"])
    tencentcloud: ClientProfile(httpProfile=HttpProfile(endpoint="127.0.0.1:8600", protocol="http"))

\b
Credentials: the emulator accepts the keys in HUAWEICLOUD_SDK_AK/SK and TENCENTCLOUD_SECRET_ID/KEY,
or documented demo keys when those are unset (see devkit/emulator/credentials.py). IAM issues
tokens (POST /v3/auth/tokens) and temporary AK/SK with security tokens like the real service.
Any project id works; state is isolated per project (Huawei) and per account/region (Tencent),
and is lost when the emulator stops.

\b
Fault injection (--fault, repeatable): SERVICE[:OPERATION]:KIND=RATE[,KIND=RATE...]
  kinds: latency (slow answer), throttle (429 + Retry-After; Tencent: RequestLimitExceeded),
         error (503), drop (connection closed without answer), timeout (connection held open)
  e.g.  --fault 'ide:CreateLicenses:error=0.2,throttle=0.1' --fault '*:drop=0.02' --seed 7
"""


def _parse_faults(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        try:
            parse_fault_spec(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    return values


@click.command("emulator", epilog=_EPILOG)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Interface to listen on (keep it local)."
)
@click.option("--port", default=8600, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@click.option(
    "--fault",
    "faults",
    multiple=True,
    callback=_parse_faults,
    metavar="SPEC",
    help=f"Inject failures, SERVICE[:OPERATION]:KIND=RATE; kinds: {', '.join(FAULT_KINDS)}. Repeatable.",
)
@click.option(
    "--seed", type=int, default=None, help="Seed for fault injection, so a run replays identically."
)
@click.option(
    "--ide-quota",
    type=click.IntRange(0),
    default=None,
    help="CodeArts IDE licences a project may hold before purchases fail with IDE.00900008.",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
    help="Server log level; 'debug' also logs every request line.",
)
def emulator_command(
    host: str, port: int, faults: tuple[str, ...], seed: int | None, ide_quota: int | None, log_level: str
) -> None:
    """Run the local emulator of the Huawei Cloud and Tencent Cloud APIs opsfn uses.

    It serves IAM, SMN, CodeArts IDE licences, CSMS, APIG and Tencent API Gateway on one port, checks
    request signatures exactly like the clouds do and keeps state in memory.
    """
    from devkit.emulator.registry import build_emulator
    from devkit.emulator.server import serve

    emulator = build_emulator(faults=faults, seed=seed, ide_quota=ide_quota)
    problems = unknown_fault_targets(emulator, [r for spec in faults for r in parse_fault_spec(spec)])
    if problems:
        raise click.BadParameter("; ".join(problems), param_hint="'--fault'")
    creds = emulator.credentials
    assert creds is not None
    huawei = creds.default_huawei_access()
    tencent = creds.default_tencent_secret_id()
    services = ", ".join(svc.name for svc in emulator.services)
    click.echo(
        f"opsfn emulator on http://{host}:{port} ({services}); "
        f"Huawei AK {huawei}, Tencent SecretId {tencent}, region {creds.region}"
    )
    if faults:
        click.echo(f"fault injection: {'; '.join(faults)} (seed {seed})")
    serve(emulator, host, port, log_level=log_level)
