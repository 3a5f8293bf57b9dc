"""What CI users copy: the pre-commit hook and the README's GitHub Actions workflow."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from callflow.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def test_pre_commit_hook_runs_callflow_check_on_fdl_files(monkeypatch: pytest.MonkeyPatch) -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "callflow-check"
    assert hook["language"] == "python"
    assert hook["entry"] == "callflow check"
    files = re.compile(hook["files"])
    assert files.search("flows/ims-conference.fdl")
    assert not files.search("flows/ims-conference.fdl.bak")
    assert not files.search("callflow/cli.py")
    # pre-commit appends the file names to the entry
    monkeypatch.chdir(ROOT)
    argv = [*shlex.split(hook["entry"])[1:], "flows/ims-conference.fdl"]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 0, result.output


def test_readme_workflow_is_valid_yaml_with_the_documented_steps() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use in CI", 1)[1].split("\n## ", 1)[0]
    workflow_text, pre_commit_text = re.findall(r"```yaml\n(.*?)```", section, re.S)
    workflow = yaml.safe_load(workflow_text)
    steps = workflow["jobs"]["check"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    runs = [s.get("run", "") for s in steps]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert any(r.startswith("pip install") for r in runs)
    assert "callflow check --format github flows/*.fdl" in runs
    assert any(r.startswith("callflow check --format sarif") for r in runs)
    assert workflow["permissions"]["security-events"] == "write"
    hooks = yaml.safe_load(pre_commit_text)["repos"][0]["hooks"]
    assert hooks[0]["id"] == "callflow-check"
