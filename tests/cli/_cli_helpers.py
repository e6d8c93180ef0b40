"""CLI test helpers: a small synthetic opsfn project in a temp folder.

Why synthetic: the CLI's own behaviour (validation findings, packaging, signing, serving) must be
testable without depending on the state of the real functions, and each project uses a unique
package name so imports from different tests never collide in ``sys.modules``.
"""

from __future__ import annotations

import itertools
import json
import shutil
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
_counter = itertools.count()

HANDLER = '''
"""A demo function: echoes webhooks, counts queue records, reports timer input."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from shared.runtime import FunctionApp, Invocation, RecordOutcome

app = FunctionApp("demo")


class Hello(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


class Tick(BaseModel):
    dry_run: bool = False
    items: list[str] = []


@app.http(model=Hello, verify="standard_webhooks")
async def on_http(req: Hello, inv: Invocation) -> dict[str, object]:
    return {"hello": req.name, "items": [{"name": req.name.upper()}, {"name": req.name[::-1]}]}


@app.batch(model=Hello)
async def on_batch(items: list[Hello], inv: Invocation) -> list[RecordOutcome]:
    return [RecordOutcome.success({"hello": i.name}) if i.name != "fail" else RecordOutcome.failure("bad")
            for i in items]


@app.timer(model=Tick)
async def on_timer(tick: Tick, inv: Invocation) -> dict[str, object]:
    return {"dry_run": tick.dry_run, "items": tick.items or ["a", "b"]}


handler = app.functiongraph_handler
main_handler = app.scf_handler
'''


@dataclass
class Project:
    root: Path
    package: str
    template: Path

    def write_template(self, text: str) -> None:
        self.template.write_text(text.replace("PKG", self.package), encoding="utf-8")


def _template(pkg: str, rate: str = "1m") -> str:
    return textwrap.dedent(
        f"""\
        Version: opsfn/2026-11
        Functions:
          demo:
            Handler: {pkg}.demo.handler.handler
            CodeUri: {pkg}/demo
            Description: demo function
            Environment:
              Variables:
                DEMO_FLAG: "on"
            Events:
              hook:
                Type: Webhook
                Properties:
                  Path: /hooks/demo
                  Method: POST
              tick:
                Type: Timer
                Properties:
                  Rate: {rate}
                  Input:
                    dry_run: true
              orders:
                Type: Kafka
                Properties:
                  Instance: kafka-1
                  Topic: demo-topic
                  BatchSize: 10
            Policies:
              - smn:topic:publish
          second:
            Handler: {pkg}.demo.handler.handler
            CodeUri: {pkg}/demo
            Events:
              hook:
                Type: Webhook
                Properties:
                  Path: /hooks/second
        Workflows:
          chain:
            Steps:
              - Function: demo
              - Function: second
                ForEach: items
        """
    )


def make_project(base: Path, *, rate: str = "1m") -> Project:
    """A project whose functions live in a uniquely named package (plus copies for ``second``)."""
    pkg = f"opsfn_demo_{next(_counter)}_{base.name.replace('-', '_')}"[:60]
    root = base / "project"
    code = root / pkg / "demo"
    code.mkdir(parents=True)
    (root / pkg / "__init__.py").write_text("", encoding="utf-8")
    (code / "__init__.py").write_text("", encoding="utf-8")
    (code / "handler.py").write_text(HANDLER, encoding="utf-8")
    template = root / "template.yaml"
    project = Project(root, pkg, template)
    project.template.write_text(_template(pkg, rate), encoding="utf-8")
    for fn, sample in (("demo", {"name": "ada"}), ("second", {"name": "bob"})):
        folder = root / "events" / fn
        folder.mkdir(parents=True)
        webhook = {
            "opsfn": "webhook",
            "method": "POST",
            "path": f"/hooks/{fn}",
            "headers": {"content-type": "application/json"},
            "body": json.dumps(sample),
            "isBase64Encoded": False,
        }
        (folder / "webhook.json").write_text(json.dumps(webhook), encoding="utf-8")
    sys.path.insert(0, str(root))
    return project


def copy_shared(root: Path) -> None:
    """Give a synthetic project the real ``shared/`` package (needed to package it)."""
    shutil.copytree(REPO / "shared", root / "shared", ignore=shutil.ignore_patterns("__pycache__"))


def load_json(text: str) -> Any:
    return json.loads(text)
