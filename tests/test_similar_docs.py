"""docs/similar.md's example runs and prints what its comments say."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "similar.md"


def test_example_runs_and_matches_its_comments() -> None:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"```python\n(.*?)```", text, re.S)
    assert match
    code = match.group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), {})
    printed = out.getvalue().splitlines()
    expected = [m.group(1).strip() for m in re.finditer(r"^\s*print\(.*?\)\s+# (.*)$", code, re.M)]
    assert len(printed) == len(expected) == 7
    for got, want in zip(printed, expected, strict=True):
        assert got == want, (got, want)
