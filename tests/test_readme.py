"""The README's Python examples run as written (so they cannot go stale)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(capsys):
    """Every ```python block of the README executes without error and prints what it shows."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README should contain at least one Python example"
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})
    assert "torch.Size([8, 10])" in capsys.readouterr().out
