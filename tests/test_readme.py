"""The README's Python examples run as written (each fenced ``python`` block, in order)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def test_readme_has_python_examples():
    assert len(BLOCK.findall(README.read_text())) >= 2


def test_readme_python_examples_run():
    namespace: dict = {"__name__": "readme"}
    for i, code in enumerate(BLOCK.findall(README.read_text())):
        exec(compile(code, f"README.md python block {i}", "exec"), namespace)  # noqa: S102
