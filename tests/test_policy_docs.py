"""docs/policy.md's quick-start example runs and prints what its comments say."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "policy.md"


def _quick_start() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match
    return match.group(1)


def test_quick_start_runs_and_matches_its_comments() -> None:
    code = _quick_start()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), {})
    printed = out.getvalue().splitlines()
    expected = [m.group(1).strip() for m in re.finditer(r"^print\(.*?\)\s+# (.*)$", code, re.M)]
    assert len(printed) == len(expected) == 5
    for got, want in zip(printed, expected, strict=True):
        want = want.removesuffix("...").strip()
        assert got.startswith(want), (got, want)
