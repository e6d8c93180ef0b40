"""``opsfn init``: a scaffolded function passes ``opsfn validate``, runs on its samples, and its test passes.

The scaffold writes a ``functions`` package of its own, which would collide in ``sys.modules`` with the
repository's; so the proof runs in fresh interpreters with the new project as working directory (one
each for validate, the invocations and the generated tests: every trigger kind is in the one project).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from _cli_helpers import REPO
from click.testing import CliRunner

from devkit.cli import main
from devkit.scaffold import TRIGGERS, ScaffoldError, scaffold
from devkit.template import load_template

_CLI = [sys.executable, "-c", "from devkit.cli import main; main()"]
_INVOKE_ALL = """
import json, sys
from pathlib import Path
from devkit.invoke import invoke_file
from devkit.template import load_template
root = Path.cwd()
sys.path.insert(0, str(root))
template = load_template(root / "template.yaml")
out = {}
for name in template.functions:
    for sample in sorted((root / "events" / name).glob("*.json")):
        result = invoke_file(template, root, name, sample, target="emulator")
        out[f"{name}/{sample.name}"] = [result.ok, result.status, result.response]
print(json.dumps(out))
"""


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSFN_")}
    env.update(PYTHONPATH=str(REPO), OPSFN_STATE_DIR=str(cwd / ".state"))
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_every_trigger_kind_validates_runs_and_tests(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    root.mkdir()
    for trigger in TRIGGERS:
        result = CliRunner().invoke(
            main, ["init", f"new_{trigger}", "--trigger", trigger, "--template", str(root / "template.yaml")]
        )
        assert result.exit_code == 0, result.output
    validated = _run([*_CLI, "validate"], root)
    assert validated.returncode == 0, validated.stderr
    assert f"ok: {len(TRIGGERS)} function(s), {len(TRIGGERS)} trigger(s)" in validated.stdout
    invoked = _run([sys.executable, "-c", _INVOKE_ALL], root)
    assert invoked.returncode == 0, invoked.stderr[-2000:]
    results = json.loads(invoked.stdout.strip().splitlines()[-1])
    assert {key.split("/")[0] for key in results} == {f"new_{t}" for t in TRIGGERS}
    for key, (ok, status, response) in results.items():
        assert ok, (key, status, response)
    tested = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], root)
    assert tested.returncode == 0, tested.stdout[-2000:]
    assert f"{len(TRIGGERS)} passed" in tested.stdout


def test_webhook_scaffold_has_a_plain_body_next_to_its_envelope(tmp_path: Path) -> None:
    scaffold(tmp_path, "greeter", "webhook")
    envelope = json.loads((tmp_path / "events/greeter/webhook.json").read_text(encoding="utf-8"))
    body = json.loads((tmp_path / "events/greeter/bodies/webhook.json").read_text(encoding="utf-8"))
    assert json.loads(envelope["body"]) == body
    assert envelope["path"] == "/hooks/greeter"


def test_scaffold_into_the_repository_template_keeps_workflows(tmp_path: Path) -> None:
    shutil.copy(REPO / "template.yaml", tmp_path / "template.yaml")
    before = load_template(tmp_path / "template.yaml")
    scaffold(tmp_path, "nightly_audit", "timer")
    after = load_template(tmp_path / "template.yaml")
    assert list(after.functions) == [*before.functions, "nightly_audit"]
    assert after.workflows == before.workflows
    assert after.functions["nightly_audit"].policies == []  # least privilege: nothing until needed


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Bad-Name", "lower_snake_case"),
        ("license_purchase", "already exists"),
        ("x" * 61, "lower_snake_case"),
    ],
)
def test_refusals_write_nothing(tmp_path: Path, name: str, message: str) -> None:
    shutil.copy(REPO / "template.yaml", tmp_path / "template.yaml")
    original = (tmp_path / "template.yaml").read_text(encoding="utf-8")
    with pytest.raises(ScaffoldError, match=message):
        scaffold(tmp_path, name, "webhook")
    assert (tmp_path / "template.yaml").read_text(encoding="utf-8") == original
    assert not (tmp_path / "functions").exists()


def test_existing_folder_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "functions" / "taken").mkdir(parents=True)
    result = CliRunner().invoke(main, ["init", "taken", "--template", str(tmp_path / "template.yaml")])
    assert result.exit_code == 1 and "already exists" in result.output
    assert not (tmp_path / "template.yaml").exists()
