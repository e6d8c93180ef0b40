"""Bulk work: ``license_reconcile`` over thousands of seats with 50 ms injected latency on every call.

The emulator (on loopback, with a 64-thread handler pool so it never caps concurrency) answers every
operation after a 50 ms ``latency`` fault, like a distant region. It holds N CodeArts IDE seats, all bound;
every 10th holder is missing from the roster file, so a real (not dry) run unbinds N/10 seats
(``max_unbind_fraction`` 1.0, so the safety guard never stops it) and posts one SMN summary.

* opsfn: the function's FunctionGraph handler with a timer event, in a fresh interpreter; the job's wall
  time (the handler call) and the process's peak RSS (``VmHWM``, not ``ru_maxrss``, which Linux carries
  over from the forking parent; its growth during the job beside it).
  The client modules and httpcore the handler imports lazily are imported before the clock starts, as the
  SDK program's libraries are: this figure is the bulk work; the cold start has its own section.
* official-SDK loop: the same calls one after the other - pages of ``ListLicenses`` and one
  ``UnbindLicense`` per leaver with huaweicloudsdkcore's ``Signer`` over ``requests`` (CodeArts IDE has no
  licence operations in its SDK), the summary with ``huaweicloudsdksmn`` - what a script written with the
  official SDK does. The emulator records both programs' operations; the run stops when they differ.
* ideal: the calls' latency under the job's real concurrency limits: the walk is one page after another
  (offset paging, one page held at a time by design), the unbinds run ``OPSFN_MAX_CONCURRENCY`` (8) at a
  time (the HTTP pool allows 20, the emulator 64), then one publish:
  ``0.05 s x (pages + ceil(leavers / 8) + 1)``.

Each point is one run (the wall time is latency-bound; repeated runs differ by milliseconds). The plot
draws the wall time of both programs against the number of seats.
"""

from __future__ import annotations

import json
import math
import textwrap

from bench.cold_start import _SDK_PRELUDE, MARK, Lab, Run, lab
from bench.core import ROOT, Figure

TITLE = "Bulk: reconcile thousands of CodeArts IDE seats with 50 ms latency per call"
ORDER = 60
SECTION = "bulk"
LATENCY = 0.05
LEAVER_EVERY = 10
PAGE = 100
CONCURRENCY = 8
GOAL = 1.5
NOTES = __doc__.split("\n\n", 1)[1].strip() if __doc__ else ""

_OPSFN = textwrap.dedent(
    """
    import importlib, json, sys, time
    hwm = lambda: int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1])
    module = importlib.import_module("functions.license_reconcile.handler")
    import httpcore, shared.clients.ide, shared.clients.smn  # imported before the clock, as the SDK's are
    sys.path.append(sys.argv[2])
    from devkit.fake_contexts import FakeFunctionGraphContext
    event = json.loads(open(sys.argv[1], encoding="utf-8").read())
    context = FakeFunctionGraphContext(function_name="license_reconcile", timeout_seconds=900)
    base = hwm()
    t0 = time.perf_counter()
    answer = module.handler(event, context)
    job = time.perf_counter() - t0
    peak = hwm()
    result = answer.get("result", answer)
    print("MARK" + json.dumps({"phases": {"job": job}, "excluded": 0.0, "status": result.get("unbound"),
                               "peak_kib": peak, "base_kib": base}))
    """
).replace("MARK", MARK)

_SDK_BODY = """
hwm = lambda: int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1])
from huaweicloudsdksmn.v2 import PublishMessageRequest, PublishMessageRequestBody, SmnClient
smn = SmnClient.new_builder().with_credentials(BasicCredentials(ak, sk, project)).with_endpoint(
    os.environ["OPSFN_ENDPOINT_SMN"]).build()
roster = {u["id"] for u in json.loads(open(sys.argv[1], encoding="utf-8").read())["users"]}
rss_before = hwm()
t0 = time.perf_counter()
seats, offset = [], 0
while True:
    page = ide("GET", "/v2/licenses", [("limit", "100"), ("offset", str(offset))])["result"]
    seats += seats_of(page)
    offset += len(seats_of(page))
    if len(seats_of(page)) < 100 or offset >= int(page["total_count"]):
        break
departed = [s for s in seats if s.get("user_id") and s["user_id"] not in roster]
for seat in departed:
    ide("DELETE", f"/v2/licenses/{seat['id']}/unbind-user")
text = f"{len(seats)} total, {len(departed)} held by departed users, unbound {len(departed)}"
smn.publish_message(PublishMessageRequest(topic_urn=os.environ["OPSFN_SMN_TOPIC_URN"],
    body=PublishMessageRequestBody(subject="license_reconcile", message=text)))
job = time.perf_counter() - t0
peak = hwm()
print("MARK" + json.dumps({"phases": {"job": job}, "excluded": 0.0, "status": len(departed),
                           "peak_kib": peak, "base_kib": rss_before}))
""".replace("MARK", MARK)

_SDK = _SDK_PRELUDE.replace("IMPORTS", "").replace("CLIENTS", "") + _SDK_BODY


def _user(n: int) -> str:
    return f"user{n:05d}"


def ideal_seconds(seats: int, concurrency: int = CONCURRENCY, latency: float = LATENCY) -> float:
    """The job's calls at its limits: sequential pages, unbinds ``concurrency`` at a time, one post."""
    pages = max(1, math.ceil(seats / PAGE))
    leavers = len(range(0, seats, LEAVER_EVERY))
    return latency * (pages + math.ceil(leavers / concurrency) + 1)


class Scenario:
    """N bound seats, every 10th holder gone from the roster; the files both programs read."""

    def __init__(self, bench_lab: Lab, seats: int) -> None:
        self.lab = bench_lab
        self.seats = seats
        folder = bench_lab.folder
        self.roster = folder / f"roster-{seats}.json"
        staying = [{"id": _user(n)} for n in range(seats) if n % LEAVER_EVERY] + [{"id": "user-still-here"}]
        self.roster.write_text(json.dumps({"users": staying}), encoding="utf-8")
        user_event = {"dry_run": False, "roster": f"file://{self.roster}", "max_unbind_fraction": 1.0}
        event = {
            "version": "v1.0",
            "time": "2026-11-23T02:30:00+00:00",
            "trigger_type": "TIMER",
            "trigger_name": "daily",
            "user_event": json.dumps(user_event),
        }
        self.event = folder / f"reconcile-{seats}.event.json"
        self.event.write_text(json.dumps(event), encoding="utf-8")

    def prepare(self) -> None:
        """Seed the seats and make every call of the next run wait 50 ms."""
        from devkit.emulator.faults import FaultInjector

        project = self.lab.env["HUAWEICLOUD_SDK_PROJECT_ID"]
        ide = self.lab.emulator.service("ide")
        ide.reset()  # only this run's seats: not the demo seats a local runtime seeds, nor the last run's
        backend = ide.backend(project)
        backend.seed(
            self.seats,
            user_id=[_user(n) for n in range(self.seats)],
            machine_code=[f"{n:064x}" for n in range(self.seats)],
        )
        faults = FaultInjector(seed=0)
        faults.add(kind="latency", rate=1.0, latency=LATENCY)
        self.lab.emulator.faults = faults

    def run(self, program: str) -> Run:
        env = self.lab.environment("license_reconcile")
        if program == "opsfn":
            args = ["-c", _OPSFN, str(self.event), str(ROOT)]
            env = {**env, "PYTHONPATH": str(ROOT)}
        else:
            args = ["-c", _SDK, str(self.roster)]
        try:
            return self.lab.probe(args, env, self.prepare)
        finally:
            self.lab.emulator.faults = None


def _measure(bench_lab: Lab, seats: int) -> tuple[Run, Run]:
    scenario = Scenario(bench_lab, seats)
    ours, theirs = scenario.run("opsfn"), scenario.run("sdk")
    expected = len(range(0, seats, LEAVER_EVERY))
    if ours.status != expected or theirs.status != expected:
        raise RuntimeError(
            f"{seats} seats: unbound {ours.status} (opsfn), {theirs.status} (SDK), not {expected}"
        )
    if ours.operations != theirs.operations:
        raise RuntimeError(
            f"{seats} seats: the programs did different operations: {dict(ours.operations)} vs "
            f"{dict(theirs.operations)}"
        )
    return ours, theirs


def _mib(kib: float) -> float:
    return kib / 1024


def run(quick: bool) -> list[Figure]:
    """The series of seat counts (both programs at each), then the figures at the largest count."""
    counts = (10, 100, 500) if quick else (1, 10, 100, 1000, 5000)
    series: dict[str, list[tuple[int, float]]] = {"opsfn": [], "official SDK loop": []}
    runs: dict[int, tuple[Run, Run]] = {}
    with lab() as bench_lab:
        for seats in counts:
            ours, theirs = runs[seats] = _measure(bench_lab, seats)
            series["opsfn"].append((seats, ours.phases["job"]))
            series["official SDK loop"].append((seats, theirs.phases["job"]))
    seats = counts[-1]
    ours, theirs = runs[seats]
    ideal = ideal_seconds(seats)
    job = f"reconcile {seats:,} seats ({len(range(0, seats, LEAVER_EVERY))} unbinds)"
    operations = ", ".join(f"{op} ×{n}" for op, n in sorted(ours.operations.items()))
    return [
        Figure(
            SECTION,
            f"{job}: opsfn wall time vs the concurrency-bound ideal",
            ours.phases["job"],
            "s",
            "ideal at concurrency 8",
            ideal,
            ("<=", GOAL),
            note=operations,
            plot="bulk",
            data={"job": "license_reconcile", "series": series},
        ),
        Figure(
            SECTION,
            f"{job}: opsfn vs a sequential loop over the official SDK",
            ours.phases["job"],
            "s",
            "official SDK loop",
            theirs.phases["job"],
        ),
        _memory(ours, "opsfn"),
        _memory(theirs, "official SDK loop"),
    ]


def _memory(result: Run, who: str) -> Figure:
    peak, base = _mib(result.data["peak_kib"]), _mib(result.data["base_kib"])
    note = f"+{peak - base:.1f} MiB during the job"
    return Figure(SECTION, f"peak RSS, {who} process", peak, "MiB", note=note)
