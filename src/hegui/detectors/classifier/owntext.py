"""hegui's own text as benign training data: a frozen snapshot of the project's documentation and source.

The classifier once learnt that English technical prose, Markdown and code look "harmful": its English data
was a few hundred safety prompts, and its harmful templates share words with software ("kill a process",
"crack", "inject", "download the full text"). hegui's own README, documentation and Python source (docstrings,
comments and code; Apache-2.0, written for this project) are plenty of benign technical text in both
languages, so the training reads them, as chunks of at most :data:`MAX_CHARS` characters.

They are read from a **snapshot** (``owntext.json.gz`` beside this module), not from the working tree: the
documentation keeps changing and ``hegui train`` must rebuild the shipped model byte for byte. Rebuild the
snapshot (and then retrain) with::

    python -m hegui.detectors.classifier.owntext --repo . --exclude-overlap ../shared/reference

What the snapshot leaves out: tests (full of harmful example strings), the classifier's own templates and
spot checks, the lexicon data, any chunk the default lexicon flags (a quoted harmful term), and, when
``--exclude-overlap`` names a folder, any chunk that shares a 40-character run with a Markdown file there (the
quality report's benign ``reference-md`` bank is read from ``../shared/reference``; it must stay unseen).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Final

SNAPSHOT: Final = "owntext.json.gz"
MAX_CHARS: Final = 320
MIN_CHARS: Final = 24
SHINGLE: Final = 40

INCLUDE: Final = ("README.md", "docs/*.md", "bench/README.md", "bench/*.py", "scripts/*.py", "src/hegui/**/*.py")
EXCLUDE: Final = (
    "src/hegui/detectors/classifier/synth.py",
    "src/hegui/detectors/classifier/spotchecks.py",
    "src/hegui/detectors/classifier/owntext.py",
)


def snapshot_path() -> Path:
    return Path(str(resources.files("hegui.detectors.classifier") / SNAPSHOT))


def chunks(text: str, max_chars: int = MAX_CHARS) -> list[str]:
    """Paragraphs (blank-line separated), small neighbours merged, long ones cut at line ends."""
    paras = [p.strip("\n") for p in re.split(r"\n\s*\n", text) if p.strip()]
    out: list[str] = []
    cur = ""
    for p in paras:
        pieces: list[str] = []
        if len(p) <= max_chars:
            pieces = [p]
        else:
            buf = ""
            for line in p.split("\n"):
                while len(line) > max_chars:  # a very long line: hard cut
                    if buf:
                        pieces.append(buf)
                        buf = ""
                    pieces.append(line[:max_chars])
                    line = line[max_chars:]
                if buf and len(buf) + 1 + len(line) > max_chars:
                    pieces.append(buf)
                    buf = line
                else:
                    buf = f"{buf}\n{line}" if buf else line
            if buf:
                pieces.append(buf)
        for q in pieces:
            if cur and len(cur) + 2 + len(q) <= max_chars // 2:
                cur = f"{cur}\n\n{q}"
            else:
                if cur:
                    out.append(cur)
                cur = q
    if cur:
        out.append(cur)
    return [c.strip() for c in out if len(c.strip()) >= MIN_CHARS]


def _shingles(text: str) -> set[str]:
    t = re.sub(r"\s+", " ", text)
    return {t[i : i + SHINGLE] for i in range(0, max(0, len(t) - SHINGLE + 1))}


def build(repo: Path, exclude_overlap: Path | None = None) -> list[dict[str, str]]:
    """The snapshot rows ``{"file", "text"}`` in a fixed order."""
    from hegui.detectors.base import DetectContext
    from hegui.detectors.lexicon.detector import LexiconDetector

    lex = LexiconDetector()
    lex.load()
    ctx = DetectContext()
    banned: set[str] = set()
    if exclude_overlap is not None:
        for p in sorted(exclude_overlap.glob("*.md")):
            banned |= _shingles(p.read_text(encoding="utf-8"))
    files: list[Path] = []
    for pat in INCLUDE:
        files += sorted(repo.glob(pat))
    seen: set[str] = set()
    rows: list[dict[str, str]] = []
    for f in dict.fromkeys(files):
        rel = f.relative_to(repo).as_posix()
        if rel in EXCLUDE or "/data/" in rel:
            continue
        for c in chunks(f.read_text(encoding="utf-8")):
            if c in seen:
                continue
            seen.add(c)
            if banned and _shingles(c) & banned:
                continue
            if lex.detect(c, ctx):
                continue
            rows.append({"file": rel, "text": c})
    return rows


def write(rows: Iterable[dict[str, str]], path: Path) -> None:
    data = json.dumps(list(rows), ensure_ascii=False, indent=0, sort_keys=True).encode("utf-8")
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(data)


def load(path: Path | None = None) -> list[dict[str, str]]:
    p = path or snapshot_path()
    rows = json.loads(gzip.decompress(p.read_bytes()).decode("utf-8"))
    assert isinstance(rows, list)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repo", type=Path, default=Path("."))
    ap.add_argument("--exclude-overlap", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)
    rows = build(a.repo, a.exclude_overlap)
    out = a.out or snapshot_path()
    write(rows, out)
    print(f"{len(rows)} chunks, {sum(len(r['text']) for r in rows)} characters -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
