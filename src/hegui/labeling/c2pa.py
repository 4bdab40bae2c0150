"""An optional C2PA manifest, signed **last** (after the explicit label, the watermark and the metadata label).

Needs the ``c2pa`` extra (``pip install 'hegui[c2pa]'``, i.e. ``c2pa-python``), imported only when used. The
manifest holds the standard ``c2pa.actions`` assertion (``c2pa.created`` with the IPTC digital source type
``trainedAlgorithmicMedia``) and the assertion ``cn.tc260.aigc`` whose ``AIGC`` field is the Annex E label JSON,
byte for byte the string written in the file's metadata label.

R-LBL-19 (one metadata label per file): the C2PA assertion is not a metadata label site. It lives in the signed
C2PA store (PNG ``caBX`` chunk, JPEG APP11 JUMBF, …), which ``inspect_file`` does not count; it is a signed copy
of the one metadata label, bound to the file's bytes, and ``label_file`` refuses to release a file whose
manifest copy differs from the metadata label.

    cfg = C2paConfig("chain.pem", "leaf.key")          # leaf first, then intermediates; PEM private key
    info = sign_file("in.png", "out.png", cfg, label=label)
    read_manifest("out.png", trust_anchors_pem=root_pem).validation_state   # "Trusted" / "Valid" / "Invalid"
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from hegui.core.errors import HeguiError
from hegui.labeling.model import AigcLabel, LabelValueError

__all__ = [
    "AIGC_ASSERTION",
    "DIGITAL_SOURCE_TYPE",
    "C2paConfig",
    "C2paError",
    "C2paUnavailableError",
    "ManifestInfo",
    "read_manifest",
    "sign_file",
]

#: the label of our custom assertion; its data is ``{"AIGC": "<the Annex E JSON string>"}``
AIGC_ASSERTION: Final = "cn.tc260.aigc"
#: IPTC digital source type for content made by a trained model
DIGITAL_SOURCE_TYPE: Final = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"

_ALGS: Final = ("es256", "es384", "es512", "ps256", "ps384", "ps512", "ed25519")
_MIME: Final[dict[str, str]] = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".pdf": "application/pdf",
}
_MAGIC_MIME: Final[dict[str, str]] = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "pdf": "application/pdf",
}


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("hegui")
    except Exception:
        return "0"


class C2paError(HeguiError):
    """Signing or reading a C2PA manifest failed."""

    exit_code = 2

    def __init__(self, en: str, zh: str | None = None) -> None:
        super().__init__(en, zh or f"C2PA 清单处理失败：{en}")


class C2paUnavailableError(C2paError):
    """c2pa-python is not installed."""

    def __init__(self, detail: str = "") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(
            "C2PA needs the optional package c2pa-python: pip install 'hegui[c2pa]'" + extra,
            "C2PA 功能需要可选依赖 c2pa-python：请运行 pip install 'hegui[c2pa]'" + extra,
        )


def _lib() -> Any:
    try:
        return importlib.import_module("c2pa")
    except ImportError as exc:
        raise C2paUnavailableError(str(exc)) from exc


def available() -> bool:
    """True when c2pa-python can be imported."""
    try:
        _lib()
    except C2paUnavailableError:
        return False
    return True


@dataclass(frozen=True)
class C2paConfig:
    """Where the signing credentials are. ``cert_chain_pem_path``: the leaf certificate first, then any
    intermediates (not the root); the leaf needs keyUsage digitalSignature and a C2PA-acceptable EKU (e.g.
    emailProtection or id-kp-documentSigning). ``tsa_url``: an RFC 3161 time-stamp authority (recommended in
    production: without one, validation fails once the leaf expires). ``trust_anchors_pem_path``: root(s) that
    the read-back must chain to (then only "Trusted" is accepted; without it "Valid" is enough)."""

    cert_chain_pem_path: str | os.PathLike[str]
    private_key_pem_path: str | os.PathLike[str]
    alg: str = "es256"
    tsa_url: str | None = None
    claim_generator: str = field(default_factory=lambda: f"hegui/{_version()}")
    trust_anchors_pem_path: str | os.PathLike[str] | None = None

    def __post_init__(self) -> None:
        if self.alg.lower() not in _ALGS:
            raise C2paError(f"unknown signing algorithm {self.alg!r} (one of {', '.join(_ALGS)})",
                            f"未知的签名算法 {self.alg!r}（可选：{'、'.join(_ALGS)}）")

    def trust_anchors_pem(self) -> str | None:
        if self.trust_anchors_pem_path is None:
            return None
        return Path(self.trust_anchors_pem_path).read_text(encoding="ascii")


@dataclass(frozen=True)
class ManifestInfo:
    """The active C2PA manifest of a file, as read back and validated."""

    validation_state: str  # "Trusted", "Valid" or "Invalid"
    manifest_label: str | None
    claim_generator: str | None
    digital_source_type: str | None
    aigc_raw: str | None
    aigc: AigcLabel | None
    failures: tuple[str, ...] = ()
    informational: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Signature and hashes are intact ("Valid" or "Trusted")."""
        return self.validation_state in ("Valid", "Trusted")

    def to_dict(self) -> dict[str, Any]:
        return {
            "validation_state": self.validation_state,
            "manifest_label": self.manifest_label,
            "claim_generator": self.claim_generator,
            "digital_source_type": self.digital_source_type,
            "aigc_raw": self.aigc_raw,
            "aigc": self.aigc.to_dict() if self.aigc is not None else None,
            "failures": list(self.failures),
            "informational": list(self.informational),
        }


def _settings(trust_anchors_pem: str | None) -> dict[str, Any]:
    # no embedded thumbnail: it would add ~250 KB and ~150 ms per 1024² image and duplicate the content
    settings: dict[str, Any] = {
        "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
        "builder": {"thumbnail": {"enabled": False}},
    }
    if trust_anchors_pem:
        settings["trust"] = {"user_anchors": trust_anchors_pem}
    return settings


def _mime(path: Path) -> str:
    from hegui.labeling.formats import LabelFormatError, detect_format

    try:
        fmt = detect_format(path)
    except LabelFormatError:
        fmt = ""
    mime = _MAGIC_MIME.get(fmt) or _MIME.get(path.suffix.lower())
    if mime is None:
        raise C2paError(f"{path.name}: no C2PA support for this file type", f"{path.name}：该文件类型不支持 C2PA")
    return mime


def _manifest_json(config: C2paConfig, label: AigcLabel) -> str:
    name, _, version = config.claim_generator.partition("/")
    gen: dict[str, str] = {"name": name or "hegui"}
    if version:
        gen["version"] = version
    manifest = {
        "claim_generator_info": [gen],
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": DIGITAL_SOURCE_TYPE}]},
            },
            {"label": AIGC_ASSERTION, "data": {"AIGC": label.to_json()}},
        ],
    }
    return json.dumps(manifest, ensure_ascii=False)


def sign_file(
    src: str | os.PathLike[str], dst: str | os.PathLike[str], config: C2paConfig, *, label: AigcLabel
) -> ManifestInfo:
    """Sign ``src`` into ``dst`` with a manifest carrying ``label``; returns the read-back of ``dst``.

    ``src`` and ``dst`` may be the same path. Nothing may change the file afterwards: any later byte change
    (even a metadata write) makes the manifest "Invalid"."""
    lib = _lib()
    src_p, dst_p = Path(src), Path(dst)
    mime = _mime(src_p)
    try:
        cert = Path(config.cert_chain_pem_path).read_bytes()
        key = Path(config.private_key_pem_path).read_bytes()
    except OSError as exc:
        raise C2paError(f"cannot read the signing credentials: {exc}", f"无法读取签名证书或私钥：{exc}") from exc
    alg = getattr(lib.C2paSigningAlg, config.alg.upper())
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dst_p.name}.c2pa.", suffix=dst_p.suffix, dir=dst_p.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        info = lib.C2paSignerInfo(alg, cert, key, config.tsa_url.encode() if config.tsa_url else None)
        with (
            lib.Signer.from_info(info) as signer,
            lib.Context.from_dict(_settings(None)) as ctx,
            lib.Builder(_manifest_json(config, label), context=ctx) as builder,
        ):
            if src_p.suffix.lower() == tmp.suffix.lower() and src_p.suffix.lower() in _MIME:
                builder.sign_file(src_p, tmp, signer)  # native file I/O: faster than Python streams
            else:
                with open(src_p, "rb") as fin, open(tmp, "w+b") as fout:
                    builder.sign(signer, mime, fin, fout)
        shutil.move(str(tmp), str(dst_p))
    except lib.C2paError as exc:
        raise C2paError(f"signing failed: {exc}", f"C2PA 签名失败：{exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    back = read_manifest(dst_p, trust_anchors_pem=config.trust_anchors_pem())
    if back is None:
        raise C2paError("the signed file has no readable manifest", "签名后的文件读不出 C2PA 清单")
    return back


def _codes(entries: object) -> tuple[str, ...]:
    if not isinstance(entries, list):
        return ()
    return tuple(str(e.get("code")) for e in entries if isinstance(e, dict) and e.get("code"))


def _validation_codes(results: object) -> tuple[tuple[str, ...], tuple[str, ...]]:
    failures: list[str] = []
    info: list[str] = []
    if isinstance(results, dict):
        groups = [results.get("activeManifest"), *list(results.get("ingredientDeltas") or [])]
        for g in groups:
            if isinstance(g, dict):
                failures += _codes(g.get("failure"))
                info += _codes(g.get("informational"))
                failures += _codes((g.get("validationDeltas") or {}).get("failure"))
    return tuple(failures), tuple(info)


def read_manifest(path: str | os.PathLike[str], *, trust_anchors_pem: str | None = None) -> ManifestInfo | None:
    """The file's active C2PA manifest, validated offline (no OCSP, no remote manifests); None when there is
    none. ``trust_anchors_pem``: PEM root certificate(s) added to the trust list, so our own chain reads
    "Trusted"."""
    lib = _lib()
    p = Path(path)
    mime = _mime(p)
    try:
        with (
            lib.Context.from_dict(_settings(trust_anchors_pem)) as ctx,
            open(p, "rb") as fh,
            lib.Reader(mime, fh, context=ctx) as reader,
        ):
            store = json.loads(reader.json())
            state = str(reader.get_validation_state() or "Invalid")
            results = reader.get_validation_results()
    except lib.C2paError as exc:
        text = f"{type(exc).__name__}: {exc}"
        if "ManifestNotFound" in text or "JumbfNotFound" in text or "no JUMBF" in text:
            return None
        raise C2paError(f"cannot read the C2PA manifest: {exc}", f"无法读取 C2PA 清单：{exc}") from exc
    active_label = store.get("active_manifest")
    manifest = (store.get("manifests") or {}).get(active_label) or {}
    gen_info = manifest.get("claim_generator_info") or []
    claim_generator = None
    if gen_info and isinstance(gen_info[0], dict):
        g = gen_info[0]
        claim_generator = str(g.get("name", "")) + (f"/{g['version']}" if g.get("version") else "")
    dst_type: str | None = None
    aigc_raw: str | None = None
    for a in manifest.get("assertions") or []:
        if not isinstance(a, dict):
            continue
        data = a.get("data") or {}
        if str(a.get("label", "")).startswith("c2pa.actions"):
            for act in data.get("actions") or []:
                if act.get("action") == "c2pa.created" and act.get("digitalSourceType"):
                    dst_type = str(act["digitalSourceType"])
        elif a.get("label") == AIGC_ASSERTION and isinstance(data.get("AIGC"), str):
            aigc_raw = data["AIGC"]
    aigc: AigcLabel | None = None
    if aigc_raw is not None:
        with contextlib.suppress(LabelValueError):
            aigc = AigcLabel.from_json(aigc_raw, strict=False)
    failures, informational = _validation_codes(results)
    return ManifestInfo(state, active_label, claim_generator, dst_type, aigc_raw, aigc, failures, informational)
