"""``template.yaml``: the single source of truth for functions, triggers, policies and workflows.

The file is SAM-shaped (``Globals``, ``Functions`` with typed ``Events``, ``Policies``) plus ``Workflows``.
Loading validates it with pydantic so a typo fails at ``opsfn validate`` with the exact location, not at
deploy time; :func:`check_template` then does the checks that need the file system and imports (handlers
importable, sample events present and parseable, cron valid, policies known).
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from devkit.iam_actions import is_known

__all__ = [
    "FunctionSpec",
    "Template",
    "TemplateError",
    "check_template",
    "load_template",
]

RUNTIMES = ("python3.10", "python3.11", "python3.12")
_RATE = re.compile(r"^(\d+)\s*(m|h|d)$")


class TemplateError(Exception):
    """The template is invalid; ``problems`` lists every finding as ``location: message``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class EnvironmentSpec(_Model):
    variables: dict[str, str] = Field(default_factory=dict, alias="Variables")

    @field_validator("variables")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        # FunctionGraph: keys match [A-Za-z][A-Za-z0-9_]* and keys+values total at most 4096 characters.
        for key in value:
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", key):
                raise ValueError(f"environment variable name {key!r} is not [A-Za-z][A-Za-z0-9_]*")
        if sum(len(k) + len(v) for k, v in value.items()) > 4096:
            raise ValueError("environment variables exceed FunctionGraph's 4096-character total")
        return value


class WebhookProps(_Model):
    path: str = Field(alias="Path", pattern=r"^/[A-Za-z0-9/_\-{}.]*$")
    method: Literal["GET", "POST", "PUT", "DELETE", "PATCH"] = Field("POST", alias="Method")
    verification: Literal["standard_webhooks", "github", "apig_signature", "none"] = Field(
        "standard_webhooks", alias="Verification"
    )


class TimerProps(_Model):
    cron: str | None = Field(None, alias="Cron")
    rate: str | None = Field(None, alias="Rate")
    input: dict[str, Any] = Field(default_factory=dict, alias="Input")

    @model_validator(mode="after")
    def _one_schedule(self) -> TimerProps:
        if (self.cron is None) == (self.rate is None):
            raise ValueError("a Timer needs exactly one of Cron or Rate")
        if self.rate is not None and not _RATE.match(self.rate):
            raise ValueError(f"Rate {self.rate!r} must look like '5m', '1h' or '1d'")
        return self


class KafkaProps(_Model):
    instance: str = Field(alias="Instance", min_length=1)
    topic: str = Field(alias="Topic", min_length=1)
    batch_size: int = Field(100, alias="BatchSize", ge=1, le=10000)


class SmnProps(_Model):
    topic: str = Field(alias="Topic", min_length=1)


class CtsProps(_Model):
    service: str = Field(alias="Service", min_length=1)
    resource_types: list[str] = Field(default_factory=list, alias="ResourceTypes")
    operations: list[str] = Field(alias="Operations", min_length=1)


class EventGridProps(_Model):
    source: str = Field(alias="Source", min_length=1)
    types: list[str] = Field(alias="Types", min_length=1)


P = TypeVar("P", bound=_Model)


class _Event(_Model, Generic[P]):
    """One entry of a function's ``Events``: a ``Type`` (each subclass narrows it) and ``Properties``."""

    type: str = Field(alias="Type")
    properties: P = Field(alias="Properties")


class WebhookEvent(_Event[WebhookProps]):
    type: Literal["Webhook"] = Field(alias="Type")


class TimerEvent(_Event[TimerProps]):
    type: Literal["Timer"] = Field(alias="Type")


class KafkaEvent(_Event[KafkaProps]):
    type: Literal["Kafka"] = Field(alias="Type")


class SmnEvent(_Event[SmnProps]):
    type: Literal["Smn"] = Field(alias="Type")


class CtsEvent(_Event[CtsProps]):
    type: Literal["Cts"] = Field(alias="Type")


class EventGridEvent(_Event[EventGridProps]):
    type: Literal["EventGrid"] = Field(alias="Type")


EventSpec = Annotated[
    WebhookEvent | TimerEvent | KafkaEvent | SmnEvent | CtsEvent | EventGridEvent,
    Field(discriminator="type"),
]


class GlobalsSpec(_Model):
    runtime: Literal["python3.10", "python3.11", "python3.12"] = Field("python3.10", alias="Runtime")
    memory_size: int = Field(256, alias="MemorySize")
    timeout: int = Field(60, alias="Timeout", ge=3, le=900)
    environment: EnvironmentSpec = Field(default_factory=EnvironmentSpec, alias="Environment")

    @field_validator("memory_size")
    @classmethod
    def _memory(cls, value: int) -> int:
        return _check_memory(value)


def _check_memory(value: int) -> int:
    # The FunctionGraph SDK enum; SCF accepts the same steps up to 3072 MB.
    allowed = (128, 256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096)
    if value not in allowed:
        raise ValueError(f"MemorySize {value} is not one of {allowed}")
    return value


class FunctionSpec(_Model):
    handler: str = Field(alias="Handler", pattern=r"^[A-Za-z_][\w.]*\.[A-Za-z_]\w*$")
    code_uri: str = Field(alias="CodeUri")
    description: str = Field("", alias="Description", max_length=512)
    memory_size: int | None = Field(None, alias="MemorySize")
    timeout: int | None = Field(None, alias="Timeout", ge=3, le=900)
    environment: EnvironmentSpec = Field(default_factory=EnvironmentSpec, alias="Environment")
    events: dict[str, EventSpec] = Field(default_factory=dict, alias="Events")
    policies: list[str] = Field(default_factory=list, alias="Policies")
    agency: str = Field("opsfn-functions", alias="Agency")

    @field_validator("memory_size")
    @classmethod
    def _memory(cls, value: int | None) -> int | None:
        return None if value is None else _check_memory(value)

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def attribute(self) -> str:
        return self.handler.rsplit(".", 1)[1]


class RetrySpec(_Model):
    """Per-step retry: ``MaxAttempts`` retries after the first failure, ``IntervalSeconds`` apart.

    The bounds are FunctionGraph's (1-8 retries, 1-30 s apart), the tighter of the two clouds, so a
    template that validates deploys to both.
    """

    max_attempts: int = Field(alias="MaxAttempts", ge=1, le=8)
    interval_seconds: int = Field(1, alias="IntervalSeconds", ge=1, le=30)


class WorkflowStep(_Model):
    name: str | None = Field(None, alias="Name", pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
    function: str = Field(alias="Function")
    for_each: str | None = Field(
        None,
        alias="ForEach",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="A key of the previous output holding a list: one call per item",
    )
    max_concurrency: int | None = Field(None, alias="MaxConcurrency", ge=1, le=100)
    retry: RetrySpec | None = Field(None, alias="Retry")
    on_error: str | None = Field(None, alias="OnError")
    next: str | None = Field(None, alias="Next")

    @model_validator(mode="after")
    def _fan_out(self) -> WorkflowStep:
        if self.max_concurrency is not None and self.for_each is None:
            raise ValueError("MaxConcurrency limits a fan-out: it needs ForEach")
        return self

    @property
    def concurrency(self) -> int:
        """How many items of a ForEach run at once (1, sequential, unless MaxConcurrency says more)."""
        return self.max_concurrency or 1


class WorkflowSpec(_Model):
    """A chain of steps: each runs after the one before it, unless ``Next`` jumps ahead.

    ``Next`` and ``OnError`` may only name a *later* step, so every workflow ends, its last step is its
    one terminal state, and it maps onto both clouds' flows (which need an acyclic graph to render).
    """

    description: str = Field("", alias="Description")
    steps: list[WorkflowStep] = Field(alias="Steps", min_length=1, max_length=100)

    @property
    def names(self) -> list[str]:
        """Every step's name: its ``Name``, or ``step<N>`` (1-based) for steps of older templates."""
        return [step.name or f"step{i}" for i, step in enumerate(self.steps, 1)]

    def successor(self, index: int) -> int | None:
        """The index of the step that follows step ``index`` on success (``None`` after the last)."""
        step = self.steps[index]
        if step.next is not None:
            return self.names.index(step.next)
        return index + 1 if index + 1 < len(self.steps) else None

    @model_validator(mode="after")
    def _graph(self) -> WorkflowSpec:
        names = self.names
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"step names must be unique: {', '.join(duplicates)}")
        for i, step in enumerate(self.steps):
            for field_name, target in (("Next", step.next), ("OnError", step.on_error)):
                if target is None:
                    continue
                if target not in names:
                    raise ValueError(f"step {names[i]!r}: {field_name} names no step: {target!r}")
                if names.index(target) <= i:
                    raise ValueError(f"step {names[i]!r}: {field_name} {target!r} must be a later step")
        reachable = self._reachable()
        unreachable = [n for i, n in enumerate(names) if i not in reachable]
        if unreachable:
            raise ValueError(
                f"steps no path reaches (remove them or name them in Next/OnError): {unreachable}"
            )
        return self

    def _reachable(self) -> set[int]:
        seen: set[int] = set()
        todo = [0]
        while todo:
            index = todo.pop()
            if index in seen:
                continue
            seen.add(index)
            after = self.successor(index)
            error = self.steps[index].on_error
            todo.extend(
                i for i in (after, None if error is None else self.names.index(error)) if i is not None
            )
        return seen


class Template(_Model):
    version: Literal["opsfn/2026-11"] = Field(alias="Version")
    globals: GlobalsSpec = Field(default_factory=GlobalsSpec, alias="Globals")  # type: ignore[arg-type]
    functions: dict[str, FunctionSpec] = Field(alias="Functions", min_length=1)
    workflows: dict[str, WorkflowSpec] = Field(default_factory=dict, alias="Workflows")

    @model_validator(mode="after")
    def _references(self) -> Template:
        for name in self.functions:
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,59}", name):
                raise ValueError(f"function name {name!r} must be lower_snake_case (FunctionGraph limit 60)")
        for wf_name, wf in self.workflows.items():
            for step in wf.steps:
                if step.function not in self.functions:
                    raise ValueError(f"workflow {wf_name!r} names unknown function {step.function!r}")
        return self

    def memory(self, fn: FunctionSpec) -> int:
        return fn.memory_size or self.globals.memory_size

    def timeout(self, fn: FunctionSpec) -> int:
        return fn.timeout or self.globals.timeout

    def environment(self, fn: FunctionSpec) -> dict[str, str]:
        return {**self.globals.environment.variables, **fn.environment.variables}

    def webhook_routes(self) -> list[tuple[str, str, WebhookProps]]:
        """``(function, event name, route)`` of every Webhook event, in template order."""
        return [
            (name, event_name, event.properties)
            for name, fn in self.functions.items()
            for event_name, event in fn.events.items()
            if isinstance(event, WebhookEvent)
        ]


def _format_validation(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()]


def load_template(path: Path | str = "template.yaml") -> Template:
    """Parse and validate the YAML file; raise :class:`TemplateError` with every problem located."""
    import yaml

    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TemplateError([f"{path}: file not found"]) from None
    except yaml.YAMLError as exc:
        raise TemplateError([f"{path}: not valid YAML: {exc}"]) from None
    if not isinstance(raw, dict):
        raise TemplateError([f"{path}: the top level must be a mapping"])
    try:
        return Template.model_validate(raw)
    except ValidationError as exc:
        raise TemplateError([f"{path}: {line}" for line in _format_validation(exc)]) from None


def sample_events(root: Path, name: str) -> Iterator[Path]:
    """The sample events of one function: ``events/<name>/*.json``."""
    folder = root / "events" / name
    if folder.is_dir():
        yield from sorted(folder.glob("*.json"))


def _deployable_cron(where: str, cron: str) -> list[str]:
    """A cron croniter accepts but neither cloud's dialect can express (day-of-month OR day-of-week).

    Caught here so the template fails fast, instead of `opsfn render` leaving the timer out of every
    target's files.
    """
    from devkit.render import CronError, fg_cron, scf_cron

    found = []
    for convert in (fg_cron, scf_cron):
        try:
            convert(cron)
        except CronError as exc:
            found.append(f"{where}: {exc}")
    return found[:1]


def check_template(template: Template, root: Path) -> list[str]:
    """Checks beyond the schema; returns the problems (empty when all is well)."""
    from croniter import croniter

    problems: list[str] = []
    routes: dict[tuple[str, str], str] = {}
    for name, fn in template.functions.items():
        where = f"Functions.{name}"
        for event_name, event in fn.events.items():
            if isinstance(event, WebhookEvent):
                route = (event.properties.method, event.properties.path)
                if route in routes:
                    # One local port and one API group serve every route: a duplicate would shadow one.
                    problems.append(
                        f"{where}.Events.{event_name}: {route[0]} {route[1]} is already the route of "
                        f"{routes[route]}"
                    )
                routes.setdefault(route, f"{where}.Events.{event_name}")
        if not (root / fn.code_uri).is_dir():
            problems.append(f"{where}.CodeUri: folder {fn.code_uri!r} does not exist")
        try:
            module = importlib.import_module(fn.module)
        except Exception as exc:  # any import failure is a finding, reported precisely
            problems.append(f"{where}.Handler: cannot import {fn.module!r}: {type(exc).__name__}: {exc}")
        else:
            if not callable(getattr(module, fn.attribute, None)):
                problems.append(f"{where}.Handler: {fn.module!r} has no callable {fn.attribute!r}")
            if not callable(getattr(module, "main_handler", None)):
                problems.append(f"{where}.Handler: {fn.module!r} has no SCF entry point 'main_handler'")
        for event_name, event in fn.events.items():
            cron = event.properties.cron if isinstance(event, TimerEvent) else None
            if cron is not None and len(cron.split()) != 5:
                # The renderers convert standard 5-field cron to each platform's dialect.
                problems.append(
                    f"{where}.Events.{event_name}.Cron: {cron!r} must have 5 fields "
                    "(minute hour day-of-month month day-of-week, UTC)"
                )
            elif cron is not None and not croniter.is_valid(cron):
                problems.append(f"{where}.Events.{event_name}.Cron: {cron!r} is not a valid cron")
            elif cron is not None:
                problems.extend(_deployable_cron(f"{where}.Events.{event_name}.Cron", cron))
        for i, policy in enumerate(fn.policies):
            if not is_known(policy):
                problems.append(f"{where}.Policies[{i}]: unknown IAM action or role {policy!r}")
        samples = list(sample_events(root, name))
        if not samples:
            problems.append(f"{where}: no sample events in events/{name}/")
        declared = {_KIND_OF_TYPE[event.type] for event in fn.events.values()}
        problems.extend(_check_sample(sample, root, where, declared) for sample in samples)
    return [p for p in problems if p]


# What a parsed sample's trigger kind must be declared as: a sample for a trigger the function does not
# have would be invoked by `opsfn invoke` and "pass" while proving nothing about the deployed function.
_KIND_OF_TYPE = {
    "Webhook": "http",
    "Timer": "timer",
    "Kafka": "queue",
    "Smn": "notification",
    "Cts": "audit",
    "EventGrid": "cloudevent",
}


def _check_sample(sample: Path, root: Path, where: str, declared: set[str]) -> str:
    """One sample event: JSON, an object, a shape the trigger parsers recognise, a declared trigger kind."""
    from shared.triggers import EventParseError, parse_event

    rel = sample.relative_to(root)
    try:
        data = json.loads(sample.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        return f"{rel}: not valid JSON: {exc}"
    except RecursionError:
        return f"{rel}: not valid JSON: nested too deeply"
    if not isinstance(data, dict):
        return f"{rel}: an event must be a JSON object, not {type(data).__name__}"
    try:
        kind = parse_event(data).kind
    except EventParseError as exc:
        return f"{rel}: not an event opsfn recognises: {exc}"
    if kind not in declared:
        have = ", ".join(sorted(t for t, k in _KIND_OF_TYPE.items() if k in declared)) or "none"
        return f"{rel}: a {kind} event, but {where}.Events declares no such trigger (has: {have})"
    return ""
