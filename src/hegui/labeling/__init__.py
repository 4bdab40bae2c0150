"""GB 45438-2025 content labels: the implicit (metadata) label per file format, read-back, and inspection.

Python API::

    from hegui.labeling import label_file, inspect_file
    result = label_file("in.png", "out.png", producer="ACME-001")
    report = inspect_file("out.png"); report.compliant; report.to_dict(); report.describe("zh")

Explicit (visible) labels come from ``hegui.labeling.explicit.apply_explicit``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hegui.core.errors import HeguiError
from hegui.labeling.formats import FORMATS, FoundLabel, LabelFormatError, detect_format
from hegui.labeling.model import (
    AIGC_KEYS,
    AigcLabel,
    LabelValueError,
    Problem,
    new_content_id,
    validate,
    verify_signature,
)

if TYPE_CHECKING:
    from hegui.labeling.c2pa import C2paConfig, ManifestInfo

__all__ = [
    "AIGC_KEYS",
    "EXPLICIT_KIND",
    "TIER_WORDING",
    "AigcLabel",
    "FoundLabel",
    "InspectReport",
    "LabelFormatError",
    "LabelResult",
    "LabelValueError",
    "LabelingError",
    "Problem",
    "inspect_file",
    "label_file",
    "new_content_id",
    "validate",
    "verify_signature",
]

#: the media ``kind`` passed to ``apply_explicit`` per format (PDF and DOCX go to ``hegui.labeling.document``)
EXPLICIT_KIND: Final[dict[str, Literal["text", "image", "audio", "video"]]] = {
    "png": "image",
    "jpeg": "image",
    "webp": "image",
    "mp3": "audio",
    "wav": "audio",
    "mp4": "video",
    "mov": "video",
    "markdown": "text",
    "text": "text",
}
#: the visible wording for Label "2" / "3" (LM Art 6(2), 6(3)); Label "1" uses apply_explicit's default
TIER_WORDING: Final[dict[str, tuple[str, str]]] = {
    "2": ("（本内容可能由人工智能生成）", "(possibly AI-generated content)"),
    "3": ("（本内容疑似由人工智能生成）", "(suspected AI-generated content)"),
}


class LabelingError(HeguiError):
    """A label could not be written, or did not read back: no output file was released (R-LBL-26)."""

    exit_code = 2

    def __init__(self, en: str, zh: str | None = None) -> None:
        super().__init__(en, zh or f"标识未写入，未输出文件：{en}")


@dataclass(frozen=True)
class LabelResult:
    """What ``label_file`` wrote."""

    path: Path
    format: str
    label: AigcLabel
    carrier: str
    previous: AigcLabel | None
    explicit: bool
    c2pa: ManifestInfo | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "path": str(self.path),
            "format": self.format,
            "label": self.label.to_dict(),
            "carrier": self.carrier,
            "previous": self.previous.to_dict() if self.previous is not None else None,
            "explicit": self.explicit,
        }
        if self.c2pa is not None:
            out["c2pa"] = self.c2pa.to_dict()
        return out


@dataclass(frozen=True)
class InspectReport:
    """Every label in a file and whether the file complies: exactly one label site, with a valid value."""

    path: Path
    format: str
    labels: tuple[FoundLabel, ...]
    problems: tuple[Problem, ...] = field(default=())

    @property
    def compliant(self) -> bool:
        return not self.problems

    @property
    def label(self) -> AigcLabel | None:
        """The one label when the file complies, else None."""
        return self.labels[0].label if self.compliant else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "format": self.format,
            "compliant": self.compliant,
            "labels": [f.to_dict() for f in self.labels],
            "problems": [p.to_dict() for p in self.problems],
        }

    def describe(self, lang: str = "zh") -> str:
        zh = lang.startswith("zh")
        lines = [f"{self.path}（{self.format}）" if zh else f"{self.path} ({self.format})"]
        if not self.labels:
            lines.append("未找到隐式标识" if zh else "no implicit label found")
        for f in self.labels:
            state = ("有效" if zh else "valid") if f.valid else ("无效" if zh else "invalid")
            lines.append(f"  {f.carrier}: {state} {f.raw}")
            lines += [f"    - {p.zh if zh else p.en}" for p in f.problems]
        if self.compliant:
            lines.append("符合 GB 45438-2025 隐式标识要求" if zh else "complies with GB 45438-2025 (implicit label)")
        else:
            lines.append("不符合：" if zh else "does not comply:")
            lines += [f"  - {p.zh if zh else p.en}" for p in self.problems if p.code in ("no-label", "duplicate-label")]
        return "\n".join(lines)


def _file_problems(labels: list[FoundLabel]) -> list[Problem]:
    problems: list[Problem] = []
    if not labels:
        problems.append(Problem("no-label", "no AIGC implicit label in the file", "文件中没有 AIGC 隐式标识"))
    elif len(labels) > 1:
        where = ", ".join(f.carrier for f in labels)
        problems.append(
            Problem(
                "duplicate-label",
                f"{len(labels)} labels found ({where}); a file keeps only one (GB 45438 §6.1 c)",
                f"发现 {len(labels)} 个标识（{where}）；一个文件只能保留一个（GB 45438 第 6.1 c 条）",
            )
        )
    for f in labels:
        problems += [Problem(p.code, f"{f.carrier}: {p.en}", f"{f.carrier}：{p.zh}") for p in f.problems]
    return problems


def inspect_file(path: str | os.PathLike[str]) -> InspectReport:
    """Read every label site in ``path`` and judge it. Raises ``LabelFormatError`` for unsupported files."""
    p = Path(path)
    fmt = detect_format(p)
    labels = FORMATS[fmt].read(p)
    return InspectReport(p, fmt, tuple(labels), tuple(_file_problems(labels)))


def _existing_label(found: list[FoundLabel]) -> AigcLabel | None:
    """The label to carry on: the first one that parses (invalid leftovers are replaced by ours)."""
    for f in found:
        if f.label is not None and f.valid:
            return f.label
    for f in found:
        if f.label is not None and f.label.Label in ("1", "2", "3"):
            return f.label
    return None


def _apply_explicit(src: Path, out: Path, *, fmt: str, tier: str, lang: str) -> None:
    if fmt in ("pdf", "docx"):
        from hegui.labeling.document import apply_document
        from hegui.labeling.explicit import LabelError

        zh, en = TIER_WORDING.get(tier, (None, None))
        try:
            apply_document(src, out, fmt=fmt, lang=lang, text_zh=zh, text_en=en)
        except (LabelError, OSError, ValueError) as exc:
            raise LabelingError(f"explicit label failed: {exc}") from exc
        return
    kind = EXPLICIT_KIND.get(fmt)
    if kind is None:
        raise LabelingError(f"no explicit label for {fmt} files yet; pass explicit=False to write the implicit label only")
    try:
        from hegui.labeling.explicit import apply_explicit
    except ImportError as exc:
        raise LabelingError(
            "explicit labels need hegui.labeling.explicit.apply_explicit, which is not available "
            f"({exc}); pass explicit=False to write the implicit label only"
        ) from exc
    try:
        if tier in TIER_WORDING:
            zh, en = TIER_WORDING[tier]
            apply_explicit(src, out, kind=kind, lang=lang, text_zh=zh, text_en=en)
        else:
            apply_explicit(src, out, kind=kind, lang=lang)
    except (ValueError, OSError, RuntimeError, subprocess.SubprocessError) as exc:
        raise LabelingError(f"explicit label failed: {exc}") from exc


def _sign_c2pa(path: Path, config: C2paConfig, label: AigcLabel, read: Any) -> ManifestInfo:
    """Sign ``path`` in place with a C2PA manifest, then check the manifest and the metadata label again."""
    from hegui.labeling.c2pa import C2paError, sign_file

    try:
        info = sign_file(path, path, config, label=label)
    except (C2paError, OSError) as exc:
        raise LabelingError(f"C2PA signing failed: {exc}") from exc
    wanted = "Trusted" if config.trust_anchors_pem_path is not None else None
    if not info.ok or (wanted and info.validation_state != wanted) or info.aigc_raw != label.to_json():
        raise LabelingError(
            f"C2PA read-back failed: state {info.validation_state} ({', '.join(info.failures) or 'no failure codes'}), "
            f"AIGC assertion {info.aigc_raw!r}; output not released"
        )
    back = read(path)
    if len(back) != 1 or back[0].label != label or not back[0].valid:
        raise LabelingError("the metadata label did not survive C2PA signing; output not released")
    return info


def label_file(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    *,
    producer: str,
    produce_id: str | None = None,
    explicit: bool = True,
    lang: str = "zh",
    mode: Literal["produce", "propagate"] = "produce",
    propagator: str | None = None,
    propagate_id: str | None = None,
    declared: bool = False,
    sign_key: Ed25519PrivateKey | None = None,
    c2pa: C2paConfig | None = None,
) -> LabelResult:
    """Write ``src`` to ``dst`` with the explicit label (optional) and exactly one implicit label.

    produce: a new generated file gets ``AigcLabel.produce(producer, produce_id)`` (R-LBL-23); a file that already
    carries a label keeps Label, producer fields and ReservedCode1 and gets our propagator fields
    (``propagator`` or ``producer``, ``propagate_id`` or ``produce_id``) (R-LBL-27).
    propagate (distributing an upload): a labelled file as above; an unlabelled one gets Label "2" if ``declared``
    by the uploader (R-LBL-28), else "3" (the caller found AI traces, R-LBL-29), with our code in all fields.
    ``sign_key``: an Ed25519 signature in ReservedCode1 (new label) or ReservedCode2 (propagated label).
    ``c2pa``: sign a C2PA manifest (``hegui.labeling.c2pa``, needs ``hegui[c2pa]``) **last**, after the metadata
    label and its read-back; the manifest is read back too (signature intact, "Trusted" when the config names
    trust anchors, its AIGC assertion identical to the metadata label) and the metadata label re-checked.

    The output is written to a temporary file beside ``dst``, read back, and renamed into place only if exactly
    one label reads back identical; otherwise nothing is left at ``dst`` and ``LabelingError`` is raised.
    """
    src_p, dst_p = Path(src), Path(dst)
    try:
        fmt = detect_format(src_p)
        handler = FORMATS[fmt]
        previous = _existing_label(handler.read(src_p))
    except LabelFormatError as exc:
        raise LabelingError(str(exc)) from exc
    our_code = propagator or producer
    try:
        if previous is not None:
            our_id = propagate_id or produce_id or new_content_id()
            label = previous.propagate(our_code, our_id)
            if sign_key is not None:
                label = label.sign(sign_key, "ReservedCode2")
        else:
            if mode == "produce":
                label = AigcLabel.produce(producer, produce_id)
            else:
                label = AigcLabel.for_upload(our_code, propagate_id or produce_id, declared=declared)
            if sign_key is not None:
                label = label.sign(sign_key, "ReservedCode1")
    except LabelValueError as exc:
        raise LabelingError(f"invalid label values: {exc}") from exc

    dst_p.parent.mkdir(parents=True, exist_ok=True)
    suffix = src_p.suffix or dst_p.suffix
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dst_p.name}.", suffix=".tmp" + suffix, dir=dst_p.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp_vis: Path | None = None
    try:
        source = src_p
        if explicit:
            fd2, vis_name = tempfile.mkstemp(prefix=f".{dst_p.name}.vis.", suffix=suffix, dir=dst_p.parent)
            os.close(fd2)
            tmp_vis = Path(vis_name)
            _apply_explicit(src_p, tmp_vis, fmt=fmt, tier=label.Label, lang=lang)
            source = tmp_vis
        try:
            handler.write(source, tmp, label)
            back = handler.read(tmp)
        except LabelFormatError as exc:
            raise LabelingError(f"writing the label failed: {exc}") from exc
        if len(back) != 1 or back[0].label != label or not back[0].valid:
            got = ", ".join(f"{f.carrier}={f.raw}" for f in back) or "nothing"
            raise LabelingError(f"read-back failed: wrote {label.to_json()}, read {got}; output not released")
        manifest = _sign_c2pa(tmp, c2pa, label, handler.read) if c2pa is not None else None
        os.replace(tmp, dst_p)
        return LabelResult(dst_p, fmt, label, back[0].carrier, previous, explicit, manifest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    finally:
        if tmp_vis is not None:
            with contextlib.suppress(FileNotFoundError):
                tmp_vis.unlink()
