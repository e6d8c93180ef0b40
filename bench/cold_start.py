"""Cold start of every function's first job against the program a user would write with the official SDK.

Each program runs in a fresh interpreter (``python -c``, from the repository root, cwd and environment
alike) against the same emulator server on loopback, reset and seeded identically before every run; the
median of N runs is reported. Both sides do the *same* operations: the emulator records the operations
each run performed and the benchmark stops when the two programs' lists differ.

* opsfn: the function's FunctionGraph handler is imported and called with the function's sample event
  (webhook samples signed like ``opsfn invoke`` signs them) and a fake context: parsing, verification,
  idempotency, clients and logging included - everything a deployed cold start pays.
* official SDK: the same calls with the official Python SDKs. CodeArts IDE has no licence operations in
  its SDK (``huaweicloudsdkcodeartside`` 3.1.219 has two unrelated ones), so those calls use
  huaweicloudsdkcore's ``Signer`` with ``requests`` - the SDK's own signer and HTTP stack; IAM and SMN
  calls use ``huaweicloudsdkiam`` and ``huaweicloudsdksmn``.
* minimal: ``import asyncio, httpx, pydantic, structlog`` plus one ``httpx.AsyncClient`` GET to the
  emulator - the floor the mandated libraries set; opsfn's overhead is measured above it.

Phases (stacked in ``docs/img/cold_start.png``): *interpreter* (process wall time outside the program's
own clock: start-up and exit), *libraries* (``asyncio, httpx, pydantic, structlog`` for opsfn; ``requests``
and the SDK modules for the SDK program), *own import* (the handler and what it imports), *client*
(``ServiceClient.http_for`` for opsfn: settings to a pooled client; credentials, signer and SDK client
builders for the SDK) and *first call* (the rest of the invocation). Dev-only helpers the probes load (the
fake context) are timed and left out.

Packaged form: each function's ``opsfn package`` zip (built for the running interpreter's version from the
wheel cache), unpacked and run under ``python -I -S`` with nothing but the zip's tree on ``sys.path`` - what
the platform runs; no site-packages, so none of the venv's extra packages (trio, which httpcore imports
when it is installed) are loaded. Compared with the same run's venv SDK program.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.core import ROOT, Figure

TITLE = "Cold start: each function's first job vs the official SDK"
ORDER = 20
SECTION = "cold start"
GOAL = 0.6
OVERHEAD_GOAL_MS = 20.0
MARK = "COLDSTART "
EMULATOR_WORKERS = 64

_OPSFN = textwrap.dedent(
    """
    import time
    t0 = time.perf_counter()
    import asyncio, httpx, pydantic, structlog
    t1 = time.perf_counter()
    from pydantic import BaseModel
    class Probe(BaseModel):
        ok: bool = True
    Probe()
    tm = time.perf_counter()
    import importlib, json, sys
    module = importlib.import_module(sys.argv[1])
    t2 = time.perf_counter()
    from shared.clients.base import ServiceClient
    spent = [0.0]
    plain = ServiceClient.http_for.__func__
    def timed_http_for(cls, *args, **kwargs):
        started = time.perf_counter()
        try:
            return plain(cls, *args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started
    ServiceClient.http_for = classmethod(timed_http_for)
    t3 = time.perf_counter()
    sys.path.append(sys.argv[3])
    from devkit.fake_contexts import FakeFunctionGraphContext
    event = json.loads(open(sys.argv[2], encoding="utf-8").read())
    context = FakeFunctionGraphContext(function_name=sys.argv[4], timeout_seconds=60)
    t4 = time.perf_counter()
    answer = module.handler(event, context)
    t5 = time.perf_counter()
    status = answer.get("statusCode") if isinstance(answer, dict) else None
    call = t5 - t4 - spent[0]
    phases = {"libraries": t1 - t0, "pydantic models": tm - t1, "own import": t2 - tm, "client": spent[0],
              "first call": call}
    print("MARK" + json.dumps({"phases": phases, "excluded": t4 - t2, "status": status}), flush=True)
    """
).replace("MARK", MARK)

_SDK_PRELUDE = textwrap.dedent(
    """
    import time
    t0 = time.perf_counter()
    import json, os, sys
    import requests
    from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
    from huaweicloudsdkcore.sdk_request import SdkRequest
    from huaweicloudsdkcore.signer.signer import Signer
    IMPORTS
    t1 = time.perf_counter()
    base = os.environ["OPSFN_ENDPOINT_IDE"]
    ak, sk = os.environ["HUAWEICLOUD_SDK_AK"], os.environ["HUAWEICLOUD_SDK_SK"]
    project = os.environ["HUAWEICLOUD_SDK_PROJECT_ID"]
    signer = Signer(BasicCredentials(ak, sk, project))
    session = requests.Session()
    def ide(method, path, query=(), body=None):
        data = json.dumps(body) if body is not None else ""
        headers = {"Content-Type": "application/json", "X-Project-Id": project,
                   "X-Sdk-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())}
        request = signer.sign(SdkRequest(method=method, schema="http", host=base.split("//")[1],
                              resource_path=path, query_params=list(query), header_params=headers, body=data))
        url = base + path
        answer = session.request(method, url, params=list(query), headers=request.header_params, data=data)
        answer.raise_for_status()
        return answer.json()
    def seats_of(page):
        return page.get("iterms") or page.get("items") or []  # the document spells the field "iterms"
    CLIENTS
    t2 = time.perf_counter()
    """
)

_SDK_END = textwrap.dedent(
    """
    t3 = time.perf_counter()
    phases = {"libraries": t1 - t0, "own import": 0.0, "client": t2 - t1, "first call": t3 - t2}
    print("MARK" + json.dumps({"phases": phases, "excluded": 0.0, "status": 200}), flush=True)
    """
).replace("MARK", MARK)

_PURCHASE_SDK = """
user = "1f0c3a9e2b7d4c58a6e1d2f3b4c5d6e7"
machine = "7d3f1c2b9a8e4f6d5c0b1a2e3f4d5c6b7a8e9f0d1c2b3a4e5f6d7c8b9a0e1f2d"
held = ide("GET", "/v2/licenses", [("user_id", user), ("limit", "100"), ("offset", "0")])["result"]
if not seats_of(held):
    page = ide("GET", "/v2/licenses", [("status", "NORMAL"), ("limit", "100"), ("offset", "0")])["result"]
    free = [seat["id"] for seat in seats_of(page) if not seat.get("user_id")]
    if not free:
        order = ide("POST", "/v2/licenses", body={"spec_code": "codeartside.basic",
            "charging_mode": "prePaid", "period_type": "month", "period_num": 1,
            "is_auto_renew": False, "is_auto_pay": True, "count": 1, "is_auto_bind": False})["result"]
        free = order["license_ids"]
    ide("POST", f"/v2/licenses/{free[0]}/bind-user", body={"machine_code": machine, "user_id": user})
"""

_RELEASE_SDK = """
user = "1f0c3a9e2b7d4c58a6e1d2f3b4c5d6e7"
held = ide("GET", "/v2/licenses", [("user_id", user), ("limit", "100"), ("offset", "0")])["result"]
for seat in seats_of(held):
    ide("DELETE", f"/v2/licenses/{seat['id']}/unbind-user")
"""

_RECONCILE_IMPORTS = """
from huaweicloudsdkiam.v3 import IamClient, KeystoneListUsersRequest
from huaweicloudsdksmn.v2 import PublishMessageRequest, PublishMessageRequestBody, SmnClient
"""

_RECONCILE_CLIENTS = """
iam = IamClient.new_builder().with_credentials(GlobalCredentials(ak, sk)).with_endpoint(
    os.environ["OPSFN_ENDPOINT_IAM"]).build()
smn = SmnClient.new_builder().with_credentials(BasicCredentials(ak, sk, project)).with_endpoint(
    os.environ["OPSFN_ENDPOINT_SMN"]).build()
"""

_RECONCILE_SDK = """
users = {u.id for u in iam.keystone_list_users(KeystoneListUsersRequest()).users if u.enabled}
seats, offset = [], 0
while True:
    page = ide("GET", "/v2/licenses", [("limit", "100"), ("offset", str(offset))])["result"]
    seats += seats_of(page)
    offset += len(seats_of(page))
    if len(seats_of(page)) < 100 or offset >= int(page["total_count"]):
        break
departed = [s for s in seats if s.get("user_id") and s["user_id"] not in users]
text = f"{len(seats)} total, {len(departed)} held by departed users (dry run)"
smn.publish_message(PublishMessageRequest(topic_urn=os.environ["OPSFN_SMN_TOPIC_URN"],
    body=PublishMessageRequestBody(subject="license_reconcile", message=text)))
"""

_MINIMAL = textwrap.dedent(
    """
    import time
    t0 = time.perf_counter()
    import asyncio, httpx, pydantic, structlog
    t1 = time.perf_counter()
    import json, os
    async def main():
        async with httpx.AsyncClient() as client:
            t2 = time.perf_counter()
            await client.get(os.environ["OPSFN_ENDPOINT_IDE"] + "/v2/licenses")
        return t2
    t2 = asyncio.run(main())
    t3 = time.perf_counter()
    phases = {"libraries": t1 - t0, "own import": 0.0, "client": t2 - t1, "first call": t3 - t2}
    print("MARK" + json.dumps({"phases": phases, "excluded": 0.0, "status": 200}), flush=True)
    """
).replace("MARK", MARK)


_MINIMAL_PYDANTIC = textwrap.dedent(
    """
    import time
    t0 = time.perf_counter()
    import asyncio, httpx, pydantic, structlog
    t1 = time.perf_counter()
    import json, os
    from pydantic import BaseModel, ConfigDict
    class Answer(BaseModel):
        model_config = ConfigDict(extra="allow")
        error_code: str | None = None
    Answer()
    tm = time.perf_counter()
    async def main():
        async with httpx.AsyncClient() as client:
            t2 = time.perf_counter()
            answer = await client.get(os.environ["OPSFN_ENDPOINT_IDE"] + "/v2/licenses")
            Answer.model_validate(answer.json())
        return t2
    t2 = asyncio.run(main())
    t3 = time.perf_counter()
    phases = {"libraries": t1 - t0, "pydantic models": tm - t1, "own import": 0.0, "client": t2 - tm,
              "first call": t3 - t2}
    print("MARK" + json.dumps({"phases": phases, "excluded": 0.0, "status": 200}), flush=True)
    """
).replace("MARK", MARK)
"""The minimal program validating the answer it got with one pydantic model, as every opsfn job does: the
first model costs pydantic's ``BaseModel`` import and its schema machinery, which ``import pydantic`` alone
(lazy) does not load."""

_LIBRARIES = textwrap.dedent(
    """
    import time
    t0 = time.perf_counter()
    import asyncio, httpx, pydantic, structlog
    import json
    phases = {"libraries": time.perf_counter() - t0}
    print("MARK" + json.dumps({"phases": phases, "excluded": 0.0, "status": None}), flush=True)
    """
).replace("MARK", MARK)


def _sdk_program(body: str, imports: str = "", clients: str = "") -> str:
    return (
        _SDK_PRELUDE.replace("IMPORTS", imports.strip()).replace("CLIENTS", clients.strip()) + body + _SDK_END
    )


@dataclass(frozen=True)
class Job:
    """A function's first job: its sample event and the official-SDK program doing the same calls."""

    function: str
    sample: str
    sdk: str


JOBS = (
    Job("license_purchase", "webhook.json", _sdk_program(_PURCHASE_SDK)),
    Job("license_release", "webhook.json", _sdk_program(_RELEASE_SDK)),
    Job(
        "license_reconcile",
        "timer.json",
        _sdk_program(_RECONCILE_SDK, _RECONCILE_IMPORTS, _RECONCILE_CLIENTS),
    ),
)


@dataclass
class Run:
    """One fresh interpreter: wall time, the program's phases and the emulator operations it performed."""

    wall: float
    phases: dict[str, float]
    operations: Counter[str]
    status: Any
    data: dict[str, Any] = field(default_factory=dict)

    def all_phases(self) -> dict[str, float]:
        inside = sum(self.phases.values())
        return {"interpreter": self.wall - inside, **self.phases}


@contextlib.contextmanager
def wide_server(emulator: Any, workers: int = EMULATOR_WORKERS) -> Iterator[str]:
    """The emulator's ASGI app on loopback with ``workers`` handler threads; yields its URL.

    Why: the emulator server runs each request's handler with ``asyncio.to_thread``, whose default pool has
    ``min(32, cores + 4)`` threads - 6 on a 2-core machine. With injected latency (a sleep in the handler)
    that pool, not the client, would bound a bulk job's concurrency; a real cloud has no such limit.
    """
    import asyncio
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import uvicorn

    from devkit.emulator.server import asgi_app, listening_socket

    inner = asgi_app(emulator)
    pool = ThreadPoolExecutor(workers, thread_name_prefix="bench-emulator")

    async def app(scope: Any, receive: Any, send: Any) -> None:
        asyncio.get_running_loop().set_default_executor(pool)
        await inner(scope, receive, send)

    sock = listening_socket("127.0.0.1", 0)
    config = uvicorn.Config(app, http="h11", lifespan="off", log_level="warning", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("emulator server did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        pool.shutdown(wait=False, cancel_futures=True)


class Lab:
    """The emulator on loopback, the local runtime that seeds it, and the environment every probe gets."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        from devkit.emulator.registry import build_emulator
        from devkit.invoke import LocalRuntime
        from devkit.template import load_template

        self.template = load_template(ROOT / "template.yaml")
        self.emulator = build_emulator()
        self.url = stack.enter_context(wide_server(self.emulator))
        self.local = LocalRuntime(self.template, ROOT)
        self.local.emulator = self.emulator
        base = self.local._defaults(real=False)
        services = ("IAM", "IDE", "CSMS", "APIG", "SMN", "TENCENT_APIGW")
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", ""),
            **base,
            **{f"OPSFN_ENDPOINT_{s}": self.url for s in services},
            "OPSFN_IDEMPOTENCY_STORE": "memory://",
        }
        self.secret = base["OPSFN_WEBHOOK_SECRET"]
        self.operations: Counter[str] = Counter()
        self.emulator.before_dispatch.append(self._record)
        self.folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="opsfn-bench-")))

    def _record(self, call: Any) -> None:
        self.operations[f"{call.service}:{call.operation}"] += 1

    def environment(self, function: str) -> dict[str, str]:
        fn = self.template.functions[function]
        return {**self.env, **self.template.environment(fn), "OPSFN_LOG_LEVEL": "ERROR"}

    def event_file(self, job: Job) -> Path:
        from devkit.invoke import sign_event, to_platform

        sample = ROOT / "events" / job.function / job.sample
        event = to_platform(json.loads(sample.read_text(encoding="utf-8")), "functiongraph")
        if self.local.needs_signature(job.function, event):
            event = sign_event(event, self.secret)
        path = self.folder / f"{job.function}.event.json"
        path.write_text(json.dumps(event), encoding="utf-8")
        return path

    def probe(self, args: list[str], env: dict[str, str], prepare: Callable[[], None] | None = None) -> Run:
        """Reset and seed the emulator (then ``prepare``), run one fresh interpreter, return what it did."""
        self.emulator.reset()
        self.local.seed()
        if prepare is not None:
            prepare()
        self.operations.clear()
        started = time.perf_counter()
        answered, out, err, code = _spawn([sys.executable, *args], env)
        ended = time.perf_counter()
        found = [line for line in out.splitlines() if line.startswith(MARK)]
        if code != 0 or not found or answered is None:
            raise RuntimeError(f"probe failed ({code}): {err.strip()[-2000:]}")
        data = json.loads(found[-1][len(MARK) :])
        data["exit"] = ended - answered
        operations = Counter(self.operations)
        return Run(answered - started - data["excluded"], data["phases"], operations, data["status"], data)


def _spawn(command: list[str], env: dict[str, str]) -> tuple[float | None, str, str, int]:
    """Run ``command``; the moment its MARK line (printed right after the answer) arrived, its output, code.

    Why not the exit: a platform keeps the instance after the first answer, so a cold start ends when the
    answer is ready; interpreter teardown (tens of ms for a process with many objects, paid by every
    program) is no part of it and is kept apart in ``data["exit"]``.
    """
    with subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        errors: list[str] = []
        stderr = process.stderr
        drain = threading.Thread(target=lambda: errors.append(stderr.read()), daemon=True)
        drain.start()
        answered = None
        lines = []
        for line in process.stdout:
            if line.startswith(MARK) and answered is None:
                answered = time.perf_counter()
            lines.append(line)
        code = process.wait(timeout=120)
        drain.join(timeout=10)
    return answered, "".join(lines), "".join(errors), code


def _median_run(runs: list[Run]) -> dict[str, float]:
    """Median per phase, in ms; ``total`` is the median of the totals (not the sum of medians)."""
    phases = {
        name: statistics.median(r.all_phases()[name] for r in runs) * 1000 for name in runs[0].all_phases()
    }
    phases["total"] = statistics.median(r.wall for r in runs) * 1000
    return phases


def _interleaved(
    lab: Lab, programs: dict[str, tuple[list[str], dict[str, str]]], runs: int
) -> dict[str, list[Run]]:
    """Each program once per round (after one warm-up round), so load drifts hit all of them alike."""
    results: dict[str, list[Run]] = {name: [] for name in programs}
    for round_number in range(runs + 1):
        for name, (args, env) in programs.items():
            run = lab.probe(args, env)
            if round_number:
                results[name].append(run)
    return results


def _opsfn_program(lab: Lab, job: Job, env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The venv opsfn probe for ``job``: its arguments and environment (the checkout on PYTHONPATH)."""
    module = lab.template.functions[job.function].module
    args = ["-c", _OPSFN, module, str(lab.event_file(job)), str(ROOT), job.function]
    return args, {**env, "PYTHONPATH": str(ROOT)}


def _job_figures(
    lab: Lab, job: Job, runs: int, package: tuple[list[str], float] | None = None
) -> tuple[Figure, list[Figure]]:
    """The venv opsfn program, the SDK program and (when built) the packaged zip, interleaved."""
    env = lab.environment(job.function)
    programs = {
        "opsfn": _opsfn_program(lab, job, env),
        "sdk": (["-c", job.sdk], env),
    }
    if package is not None:
        programs["packaged"] = (package[0], env)
    results = _interleaved(lab, programs, runs)
    ours, theirs = results["opsfn"], results["sdk"]
    for name, found in results.items():
        if found[0].operations != ours[0].operations:
            raise RuntimeError(
                f"{job.function}: the {name} program did other operations: {dict(found[0].operations)} "
                f"vs {dict(ours[0].operations)}"
            )
    mine, anchor = _median_run(ours), _median_run(theirs)
    operations = ", ".join(f"{op} ×{n}" if n > 1 else op for op, n in sorted(ours[0].operations.items()))
    figure = Figure(
        SECTION,
        f"{job.function} ({job.sample}: {operations})",
        mine["total"],
        "ms",
        "official SDK program",
        anchor["total"],
        ("<=", GOAL),
        f"answer {ours[0].status}",
        plot="cold_start",
        data={
            "function": job.function,
            "phases": mine,
            "anchor_phases": anchor,
        },
    )
    if package is None:
        return figure, []
    return figure, [_packaged_figure(job, results["packaged"], package[1], anchor)]


def _overhead(lab: Lab, runs: int) -> list[Figure]:
    """opsfn's one-call job (license_release: one ListLicenses) against the minimal httpx programs.

    Two references: the issue's minimal program (the four libraries and one GET) and the same program
    validating its answer with one pydantic model - the part of opsfn's overhead that is pydantic's own
    model machinery (``BaseModel`` and the schema builder, loaded on first use) shows as the difference.
    """
    job = JOBS[1]
    env = lab.environment(job.function)
    programs = {
        "opsfn": _opsfn_program(lab, job, env),
        "minimal": (["-c", _MINIMAL], env),
        "minimal + pydantic": (["-c", _MINIMAL_PYDANTIC], env),
        "libraries": (["-c", _LIBRARIES], env),
    }
    results = _interleaved(lab, programs, runs)
    mine, minimal = _median_run(results["opsfn"]), _median_run(results["minimal"])
    validating = _median_run(results["minimal + pydantic"])
    libraries = statistics.median(r.wall for r in results["libraries"]) * 1000
    return [
        Figure(SECTION, "minimal program: 4 libraries + one httpx.AsyncClient GET", minimal["total"], "ms"),
        Figure(
            SECTION,
            "minimal program validating its answer with one pydantic model",
            validating["total"],
            "ms",
            note=f"pydantic models {validating['pydantic models']:.1f} ms",
        ),
        Figure(SECTION, "`import asyncio, httpx, pydantic, structlog` alone", libraries, "ms"),
        Figure(
            SECTION,
            "opsfn's own overhead above the minimal program (license_release, one GET)",
            mine["total"] - minimal["total"],
            "ms",
            goal=("<=", OVERHEAD_GOAL_MS),
            note=f"vs minimal: {_breakdown(mine, minimal)}",
        ),
        Figure(
            SECTION,
            "opsfn's own overhead above the minimal program that validates with pydantic",
            mine["total"] - validating["total"],
            "ms",
            note=f"vs minimal + pydantic: {_breakdown(mine, validating)}",
        ),
    ]


def _breakdown(mine: dict[str, float], other: dict[str, float]) -> str:
    phases = ("interpreter", "pydantic models", "own import", "client", "first call")
    return ", ".join(f"{name} {mine.get(name, 0.0) - other.get(name, 0.0):+.1f} ms" for name in phases)


@contextlib.contextmanager
def lab() -> Iterator[Lab]:
    with contextlib.ExitStack() as stack:
        yield Lab(stack)


_PACKAGED = "import sys\nsys.path.insert(0, sys.argv[5])\n" + _OPSFN
"""The opsfn probe run from an unpacked ``opsfn package`` tree under ``python -I -S`` (argv[5]: the tree)."""


def _package(bench_lab: Lab, job: Job) -> tuple[list[str], float] | None:
    """Build the function's zip; the ``python -I -S`` probe arguments for its unpacked tree, and its size.

    ``None`` (with the reason printed) when the package cannot be built here, e.g. wheels that cannot be
    downloaded: the venv figures are still measured.
    """
    from devkit.package import build_package

    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    out = bench_lab.folder / "packages"
    cache = Path.home() / ".cache" / "opsfn" / "wheels"
    try:
        result = build_package(
            bench_lab.template, job.function, ROOT, out, python_version=version, cache=cache
        )
    except Exception as exc:  # any build failure (no wheels, no network) only skips the packaged figure
        print(f"  packaged {job.function}: not measured, the zip cannot be built here ({exc})")
        return None
    event = bench_lab.event_file(job)
    tree = out / job.function
    return ["-I", "-S", "-c", _PACKAGED, "index", str(event), str(ROOT), job.function, str(tree)], result.size


def _packaged_figure(job: Job, runs: list[Run], size: float, anchor: dict[str, float]) -> Figure:
    """The deployed zip under ``python -I -S`` against the same round's venv SDK program."""
    mine = _median_run(runs)
    phases = ", ".join(f"{k} {v:.0f}" for k, v in mine.items() if k != "total")
    return Figure(
        SECTION,
        f"{job.function}, packaged (`python -I -S`, the unpacked {size / 1e6:.1f} MB zip only)",
        mine["total"],
        "ms",
        "official SDK program (venv)",
        anchor["total"],
        ("<=", GOAL),
        f"answer {runs[0].status}; phases (ms): {phases}",
    )


def run(quick: bool) -> list[Figure]:
    """Every function's first job against its SDK program (venv, then packaged), then the overhead."""
    runs = 3 if quick else 7
    figures = []
    packaged = []
    with lab() as bench_lab:
        for job in JOBS:
            venv, zipped = _job_figures(bench_lab, job, runs, _package(bench_lab, job))
            figures.append(venv)
            packaged += zipped
        figures += packaged + _overhead(bench_lab, runs)
    return figures
