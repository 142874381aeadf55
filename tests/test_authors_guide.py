"""docs/plugins.md is enough to write a plugin: the package it shows, built from the page
alone, installs and passes the whole conformance suite with one pytest command (issue 13)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "plugins.md"
FILE_BLOCK = re.compile(r"^```\w+ file=(\S+)\n(.*?)^```$", re.S | re.M)


def test_guide_package_passes_the_suite_in_one_pytest_command(tmp_path: Path) -> None:
    """Write every ``file=`` block of the guide into an empty folder, install it (into a target
    folder, without touching the environment) and run ``pytest --spikeplug-conformance=tiny``
    in another empty folder: every check passes on every form of the guide's model, and
    `spikeplug check` agrees."""
    blocks = FILE_BLOCK.findall(GUIDE.read_text())
    assert sorted(path for path, _ in blocks) == [
        "pyproject.toml", "src/spikeplug_tiny/__init__.py", "src/spikeplug_tiny/model.py",
        "src/spikeplug_tiny/plugin.py",
    ]
    package, target, run = tmp_path / "spikeplug-tiny", tmp_path / "site", tmp_path / "run"
    for path, text in blocks:
        (package / path).parent.mkdir(parents=True, exist_ok=True)
        (package / path).write_text(text)
    run.mkdir()
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", str(target), str(package)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(run),
         "--spikeplug-conformance=tiny", "-q", "-rs"],
        cwd=run, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "35 passed" in result.stdout and "skipped" not in result.stdout, result.stdout
    check = subprocess.run([sys.executable, "-m", "spikeplug.cli", "check", "tiny", "--checks",
                            "parameter_constraints,state_space"], cwd=run, env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.startswith("tiny:tiny_lif: 2 passed, 0 failed, 0 n/a")
