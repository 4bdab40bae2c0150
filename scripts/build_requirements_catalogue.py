"""Build ``src/hegui/evaluation/data/requirements.yaml`` from the requirement catalogue (requirements.md).

Run once when the catalogue changes; the YAML is committed and read at run time (no run-time dependency on
``../shared``)::

    .venv/bin/python scripts/build_requirements_catalogue.py [--source ../shared/reference/requirements.md]

Every table row whose first cell is a requirement ID (``R-XXX-NN``) becomes one entry with ``id``, ``source``
(the clause), ``title`` (a short English paraphrase of "what the software must do"; see ``TITLES``), ``tag``
(``P``/``S``/``W``/``U``: the row's confidence tag, else the tag its section states) and ``section``.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "reference" / "requirements.md"
OUTPUT = ROOT / "src" / "hegui" / "evaluation" / "data" / "requirements.yaml"

ID_RE = re.compile(r"^R-[A-Z]{2,3}-\d{2}$")
TAG_RE = re.compile(r"\[(P|S|W|U)\b")

# Short English titles (paraphrases of the "what the software must do" cell); one per ID.
TITLES: dict[str, str] = {
    "R-MEA-01": "Record whether the service is offered to the public in mainland China",
    "R-MEA-02": "Block generation of the prohibited content of Art 4(1)",
    "R-MEA-03": "Prevent discrimination on the eight listed grounds",
    "R-MEA-04": "Respect IP, business ethics and fair competition",
    "R-MEA-05": "Protect health, likeness, reputation, privacy and personal information",
    "R-MEA-06": "Improve transparency, accuracy and reliability of output",
    "R-MEA-07": "Lawful training data and base models",
    "R-MEA-08": "Annotation rules, quality checks and annotator training",
    "R-MEA-09": "Service agreement with each registered user",
    "R-MEA-10": "Publish intended users and uses; protect minors from over-reliance",
    "R-MEA-11": "Protect user inputs and usage records",
    "R-MEA-12": "Handle personal-information requests (access, copy, correct, supplement, delete)",
    "R-MEA-13": "Label generated images and video",
    "R-MEA-14": "Safe, stable and continuous service",
    "R-MEA-15": "Stop, remove, remediate and report illegal content",
    "R-MEA-16": "Warn, restrict, suspend or terminate users engaged in illegal activity",
    "R-MEA-17": "Complaint and report mechanism with published time limits",
    "R-MEA-18": "Security assessment and algorithm filing for opinion/mobilisation services",
    "R-MEA-19": "Explain training data, annotation and algorithms to inspectors",
    "R-MEA-20": "Penalties (informational)",
    "R-DAT-01": "Assess a source sample before collecting (> 5 % harmful: do not collect)",
    "R-DAT-02": "Verify collected data (> 5 % harmful: do not train on it)",
    "R-DAT-03": "Several sources per language and modality; mix domestic and foreign data",
    "R-DAT-04": "Traceable sources: licences and collection records",
    "R-DAT-05": "Do not train on information that must be blocked",
    "R-DAT-06": "Filter all training data for harmful content before training",
    "R-DAT-07": "Intellectual-property policy, checks and complaint channel",
    "R-DAT-08": "Consent for personal information in training data",
    "R-ANN-01": "Annotator safety training and exams",
    "R-ANN-02": "Separate annotation and review roles",
    "R-ANN-03": "Reasonable time per annotation task",
    "R-ANN-04": "Annotation rules for function and safety, one per risk",
    "R-ANN-05": "Spot checks of functional batches; review of every safety item",
    "R-ANN-06": "Store safety annotations separately",
    "R-MOD-01": "Generated-content safety as a main training criterion",
    "R-MOD-02": "Periodic security audits of frameworks and code",
    "R-MOD-03": "Accuracy and reliability measures",
    "R-MOD-04": "Refuse clearly harmful questions; answer the rest",
    "R-MOD-05": "Label images and video per national rules",
    "R-MOD-06": "Monitor inputs for injection and adversarial attacks",
    "R-MOD-07": "Routine monitoring, emergency measures and model fixes",
    "R-MOD-08": "Re-assess after every important model update",
    "R-MOD-09": "Supply-chain security of chips, software and compute",
    "R-MOD-10": "Isolate training from inference environments",
    "R-MOD-11": "Build only on filed base models",
    "R-SVC-01": "Necessity, suitability and safety per domain",
    "R-SVC-02": "Proportionate protection for critical and high-risk uses",
    "R-SVC-03": "Minors: guardian controls and no unsuitable paid services",
    "R-SVC-04": "Keep minors out of services not meant for them",
    "R-SVC-05": "Publish users, uses, limitations, models and data collected",
    "R-SVC-06": "Training opt-out within four clicks",
    "R-SVC-07": "Complaint channels with handling rules and time limits",
    "R-SVC-08": "Check inputs; publish and apply a suspension rule for repeat abuse",
    "R-SVC-09": "Monitoring staff proportionate to the service",
    "R-SVC-10": "Backup and recovery; business continuity",
    "R-EVL-01": "Keyword library: >= 10,000 entries, per-risk floors, weekly updates",
    "R-EVL-02": "Generated-content test bank: >= 2,000 items covering all 31 risks",
    "R-EVL-03": "Should-refuse bank: >= 500 items, 17 risks >= 20 each",
    "R-EVL-04": "Should-not-refuse bank: >= 500 items, 13 topics >= 20 each",
    "R-EVL-05": "Refusal banks updated at least monthly",
    "R-EVL-06": "Classifier covers all 31 risks",
    "R-EVL-07": "Training-data assessment: manual >= 4,000 at 96 %, technical >= 10 % at 98 %",
    "R-EVL-08": "Generated-content assessment: >= 1,000 items per method, pass rate >= 90 %",
    "R-EVL-09": "Refusal assessment: >= 95 % refused / <= 5 % refused, n >= 300 each",
    "R-EVL-10": "Per-clause self-assessment report with three signatures",
    "R-LBL-01": "Support explicit and implicit labels for all content types",
    "R-LBL-02": "Explicit labels per content type where DS Art 17 applies",
    "R-LBL-03": "Downloaded, copied or exported files carry the explicit label",
    "R-LBL-04": "Implicit label in file metadata (attribute, provider, content ID)",
    "R-LBL-05": "Distribution platforms: check, notice and propagate labels",
    "R-LBL-06": "Labelling materials ready for app-store review",
    "R-LBL-07": "Labelling method stated in the user agreement",
    "R-LBL-08": "Unlabelled output only under agreement; recipient logs >= 6 months",
    "R-LBL-09": "No removal, alteration or forgery of labels",
    "R-LBL-10": "Follow GB 45438; supply labelling materials for filings",
    "R-LBL-11": "Text: explicit label with AI and generation elements",
    "R-LBL-12": "Image: text label on an edge or corner, height >= 5 %",
    "R-LBL-13": "Audio: spoken label or short-long-short-short rhythm",
    "R-LBL-14": "Video: label on opening frames, >= 5 % high, >= 2 s",
    "R-LBL-15": "Virtual scene: label on the opening screen",
    "R-LBL-16": "Interaction UI: continuously shown label",
    "R-LBL-17": "Metadata label holds all seven elements",
    "R-LBL-18": "Metadata field name contains AIGC",
    "R-LBL-19": "Exactly one metadata label per file",
    "R-LBL-20": "Label value: JSON with the seven keys in order",
    "R-LBL-21": "Label attribute is \"1\", \"2\" or \"3\"",
    "R-LBL-22": "Label values use the restricted ASCII set",
    "R-LBL-23": "On first write, propagation elements equal production elements",
    "R-LBL-24": "Reserved codes carry security data (signatures)",
    "R-LBL-25": "A metadata writer for each output format",
    "R-LBL-26": "Read back every label after writing",
    "R-LBL-27": "Already labelled file: notice and write propagation elements",
    "R-LBL-28": "Declared AI content: \"may be AI-generated\" notice",
    "R-LBL-29": "Detected AI traces: \"suspected AI-generated\" notice",
    "R-LBL-30": "Carry labels through every transformation",
    "R-LBL-31": "Edited labelled input: write our production elements",
    "R-ANN-10": "Annotation platform: security assessment and operation logs",
    "R-ANN-11": "Annotation workplace security; separate storage of safety annotations",
    "R-ANN-12": "Complete functional and safety annotation rules",
    "R-ANN-13": "Annotator training, exams and re-training",
    "R-ANN-14": "Four annotation roles; executor and reviewer differ",
    "R-ANN-15": "Safety annotations: >= 200 per risk, >= 3 % of all",
    "R-ANN-16": "Verification of annotations; correction log",
    "R-ANN-17": "Functional annotations free of risk content; batch spot checks",
    "R-ANN-18": "Safety annotations reviewed; scrap batches over 5 % failing",
    "R-PTD-01": "Training-data classification, security controls and audit records",
    "R-PTD-02": "Record the source of all collected data",
    "R-PTD-03": "Source metadata on every sample",
    "R-PTD-04": "Record per-sample risk identification",
    "R-PTD-05": "Consent for personal information; filter risky and infringing samples",
    "R-PTD-06": "Metadata and checks for AI-generated fine-tuning data",
    "R-PTD-07": "Training-data evaluation: manual 4,000 at 96 %, technical 10 % at 98 %",
    "R-PTD-08": "Keyword library floors; classifier covers the 29 risks",
    "R-DS-01": "Technical labels on all generated content; keep logs",
    "R-DS-02": "Conspicuous labels where output may mislead the public",
    "R-DS-03": "Offer a conspicuous-label function for other services",
    "R-DS-04": "No technical removal or hiding of labels",
    "R-DS-05": "Real-identity verification of users",
}

# Document prefix for tables whose "source" cell holds only a clause number (by section number)
CLAUSE_PREFIX = {"5.1": "GB/T 45674 ", "5.2": "GB/T 45652 (draft) "}


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("**", "").replace("`", "")).strip()


def _auto_title(text: str, limit: int = 80) -> str:
    """The first clause of ``text``, cut at a word boundary."""
    t = _plain(text)
    t = re.split(r"(?<=[a-z0-9)])[.;:] | — ", t, maxsplit=1)[0]
    t = re.sub(r"\s*\([^)]*\)", "", t).strip()
    if len(t) > limit:
        t = t[:limit].rsplit(" ", 1)[0].rstrip(",;") + " …"
    return t


def parse(md: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    section = ""
    section_tag = ""
    header: list[str] = []
    for line in md.splitlines():
        if line.startswith("#"):
            m = re.match(r"#+\s+(\d+(?:\.\d+)?)\.?\s+(.*)", line)
            section = m.group(1) if m else ""
            t = TAG_RE.search(line)
            section_tag = t.group(1) if t else ""
            header = []
            continue
        if not line.startswith("|"):
            if not header:
                t = TAG_RE.search(line)
                if t and not section_tag:
                    section_tag = t.group(1)
            continue
        cells = _cells(line)
        if cells and cells[0] == "ID":
            header = cells
            continue
        if not cells or not ID_RE.match(cells[0]) or not header:
            continue
        row = dict(zip(header, cells, strict=False))
        rid = cells[0]
        must = row.get("What the software must do") or row.get("Rule (GB 45438)") or row.get("Rule") or \
            row.get("Requirement") or row.get("What to do") or ""
        if "Situation" in row:
            must = f"{row['Situation']}: {must}"
        tag_cell = row.get("Tag") or row.get("Source / Tag") or ""
        t = TAG_RE.search(tag_cell)
        tag = t.group(1) if t else section_tag or "U"
        if "Source" in row:
            source = row["Source"]
        elif "Source / Tag" in row:
            source = re.split(r"\s*\[", row["Source / Tag"], maxsplit=1)[0]
        elif "Content" in row:
            source = "GB 45438 " + (re.search(r"§[\d.]+", row["Content"]) or re.search(r".*", "")).group(0)
            if source.endswith(" "):
                source = "GB 45438 (" + row["Content"] + ")"
        elif "Clause" in row or "Clause (draft)" in row:
            source = CLAUSE_PREFIX.get(section, "") + (row.get("Clause") or row.get("Clause (draft)") or "")
        elif section == "4.3":
            m = re.search(r"(§[\d.]+ ?[a-z]?\)?|Annex E ?[a-z]?\)?(–[a-z]\))?)", must)
            source = "GB 45438 " + (m.group(0) if m else "§6.1 / Annex E")
        elif section == "4.4":
            source = "TC260 practice guides (2025)"
        else:
            source = ""
        if not source.strip():
            source = {"4.5": "LM / GB 45438"}.get(section, "requirements.md §" + section)
        title = TITLES.get(rid) or _auto_title(must)
        out.append({"id": rid, "source": _plain(source).strip(), "title": title, "tag": tag, "section": section})
    ids = [r["id"] for r in out]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise SystemExit(f"duplicate IDs in the catalogue: {sorted(dup)}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    ap.add_argument("--output", type=Path, default=OUTPUT)
    args = ap.parse_args(argv)
    rows = parse(args.source.read_text(encoding="utf-8"))
    head = (
        "# Requirement catalogue for `hegui report` (one entry per requirement ID).\n"
        "# Generated by scripts/build_requirements_catalogue.py from requirements.md; do not edit by hand.\n"
        "# tag: P = read in primary text, S = secondary sources agree, W = single secondary source, U = unconfirmed.\n"
    )
    body = yaml.safe_dump({"format": "hegui-requirements", "format_version": 1, "requirements": rows},
                          allow_unicode=True, sort_keys=False, width=120)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(head + body, encoding="utf-8")
    print(f"{len(rows)} requirements -> {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
