"""Labeling cost per 1024×1024 image (PNG and JPEG), median over N runs, beside a Pillow open+save baseline.

    .venv/bin/python bench/bench_labeling.py [--quick] [--json out.json]

Each pipeline reads a file and writes the labelled file, as ``label_file`` does:
- baseline: Pillow open + save of the same image, no label (what any re-save costs);
- metadata: ``label_file(explicit=False)`` (XMP label written without re-encoding, then read back);
- + overlay: ``label_file(explicit=True)`` (visible label drawn, image re-encoded, then the metadata label);
- + watermark: the invisible watermark (``watermark.embed``) before the overlay + metadata steps;
- + C2PA: the above, then a C2PA manifest signed with a self-made ES256 chain and read back (skipped with a note
  when c2pa-python is not installed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

SIZE = 1024


def _picture(size: int = SIZE) -> Image.Image:
    """A photo-like synthetic image: gradients, shapes and noise (compresses like a real picture)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    r = 128 + 100 * np.sin(x / 70.0) * np.cos(y / 90.0)
    g = 255 * y / size
    b = 128 + 90 * np.sin((x + y) / 45.0)
    rgb = np.stack([r, g, b], axis=-1) + np.random.default_rng(3).normal(0, 12, (size, size, 3))
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")


def _chain(folder: Path) -> tuple[Path, Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(2)]

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def cert(subj: str, key: Any, issuer: str, issuer_key: Any, ca: bool) -> x509.Certificate:
        b = (x509.CertificateBuilder().subject_name(name(subj)).issuer_name(name(issuer))
             .public_key(key.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now).not_valid_after(now + dt.timedelta(days=2))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
             .add_extension(x509.KeyUsage(True, False, False, False, False, ca, ca, False, False), critical=True))
        if not ca:
            b = b.add_extension(x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.EMAIL_PROTECTION, ObjectIdentifier("1.3.6.1.5.5.7.3.36")]), critical=False)
        return b.sign(issuer_key, hashes.SHA256())

    root = cert("hegui bench root", keys[0], "hegui bench root", keys[0], True)
    leaf = cert("hegui bench signer", keys[1], "hegui bench root", keys[0], False)
    (folder / "chain.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (folder / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    (folder / "leaf.key").write_bytes(keys[1].private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return folder / "chain.pem", folder / "leaf.key", folder / "root.pem"


def _label_of(path: Path) -> Any:
    from hegui.labeling import inspect_file

    return inspect_file(path).label


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up (fonts, libraries)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def run(*, quick: bool = False, log: Any = print) -> dict[str, Any]:
    from hegui.labeling import label_file
    from hegui.labeling import watermark as wm

    runs = 3 if quick else 11
    tmp = Path(tempfile.mkdtemp(prefix="hegui-bench-label-"))
    img = _picture()
    c2pa_cfg: Any = None
    note = ""
    try:
        from hegui.labeling import c2pa as hc2pa

        if hc2pa.available():
            cert, key, root = _chain(tmp)
            c2pa_cfg = hc2pa.C2paConfig(cert, key, trust_anchors_pem_path=root)
        else:
            note = "c2pa-python is not installed (pip install 'hegui[c2pa]'): C2PA row skipped"
    except ImportError as exc:
        note = f"C2PA row skipped: {exc}"
    rows: dict[str, dict[str, float | None]] = {}
    for ext, fmt in (("png", "PNG"), ("jpg", "JPEG")):
        src = tmp / f"gen.{ext}"
        save_kw: dict[str, Any] = {"quality": 95} if fmt == "JPEG" else {}
        img.save(src, fmt, **save_kw)
        out = tmp / f"out.{ext}"
        wm_tmp = tmp / f"wm.{ext}"

        def baseline(src: Path = src, out: Path = out, fmt: str = fmt, kw: dict[str, Any] = save_kw) -> None:
            with Image.open(src) as im:
                im.load()
                im.save(out, fmt, **kw)

        def metadata(src: Path = src, out: Path = out) -> None:
            label_file(src, out, producer="BENCH-001", explicit=False)

        def overlay(src: Path = src, out: Path = out) -> None:
            label_file(src, out, producer="BENCH-001", explicit=True)

        def watermark(src: Path = src, out: Path = out, wm_tmp: Path = wm_tmp, fmt: str = fmt,
                      kw: dict[str, Any] = save_kw, c2pa: Any = None) -> None:
            with Image.open(src) as im:
                im.load()
                wm.embed(im, 0x1234ABCD).save(wm_tmp, fmt, **kw)
            label_file(wm_tmp, out, producer="BENCH-001", explicit=True, c2pa=c2pa)

        log(f"labeling bench: {fmt} {SIZE}x{SIZE}, {runs} runs ...")
        row: dict[str, float | None] = {
            "baseline_ms": _median_ms(baseline, runs),
            "metadata_ms": _median_ms(metadata, runs),
            "overlay_ms": _median_ms(overlay, runs),
            "watermark_ms": _median_ms(watermark, runs),
            "c2pa_ms": None,
        }
        if c2pa_cfg is not None:
            plain_size = out.stat().st_size
            row["c2pa_ms"] = _median_ms(lambda w=watermark: w(c2pa=c2pa_cfg), runs)  # type: ignore[misc]
            row["c2pa_bytes_added"] = float(out.stat().st_size - plain_size)
            labelled = tmp / f"labelled.{ext}"
            label_file(src, labelled, producer="BENCH-001", explicit=False)
            from hegui.labeling.c2pa import sign_file

            row["c2pa_sign_only_ms"] = _median_ms(
                lambda f=labelled, o=out: sign_file(f, o, c2pa_cfg, label=_label_of(f)), runs)  # type: ignore[misc]
        rows[fmt] = row
    overhead = [r["metadata_ms"] - r["baseline_ms"] for r in rows.values() if r["metadata_ms"] is not None
                and r["baseline_ms"] is not None]
    goals = [{
        "id": "labeling.metadata_added_ms",
        "text": "metadata label (write + read-back) adds ≤ 50 ms per 1024×1024 image over a Pillow re-save",
        "met": bool(overhead) and max(overhead) <= 50.0,
        "detail": ", ".join(f"{k} {r['metadata_ms'] - r['baseline_ms']:+.1f} ms" for k, r in rows.items()
                            if r["metadata_ms"] is not None and r["baseline_ms"] is not None),
    }]
    if c2pa_cfg is not None:
        c2 = [r["c2pa_sign_only_ms"] for r in rows.values() if r.get("c2pa_sign_only_ms") is not None]
        goals.append({
            "id": "labeling.c2pa_added_ms",
            "text": "C2PA sign + read-back alone ≤ 20 ms per 1024×1024 image",
            "met": bool(c2) and max(c2) <= 20.0,
            "detail": ", ".join(f"{v:.1f} ms" for v in c2),
        })
    return {"size": SIZE, "runs": runs, "rows": rows, "note": note, "goals": goals}


def render(r: dict[str, Any]) -> str:
    def cell(v: float | None, base: float | None = None) -> str:
        if v is None:
            return "skipped"
        return f"{v:.1f} ms" + (f" ({v - base:+.1f})" if base is not None else "")

    lines = [
        f"## Labeling ({r['size']}×{r['size']} image, median of {r['runs']} runs)",
        "",
        "Each column includes the previous ones; (±x) is the difference from the Pillow baseline (open + save, no label).",
        "",
        "| format | Pillow open+save (baseline) | metadata label | + overlay | + watermark | + C2PA |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for fmt, row in r["rows"].items():
        b = row["baseline_ms"]
        lines.append(f"| {fmt} | {cell(b)} | {cell(row['metadata_ms'], b)} | {cell(row['overlay_ms'], b)} | "
                     f"{cell(row['watermark_ms'], b)} | {cell(row['c2pa_ms'], b)} |")
    only = {fmt: row.get("c2pa_sign_only_ms") for fmt, row in r["rows"].items() if row.get("c2pa_sign_only_ms")}
    if only:
        lines += ["", "C2PA alone (sign + offline validation read-back of an already labelled file): "
                  + ", ".join(f"{k} {v:.1f} ms" for k, v in only.items()) + "."]
    added = {fmt: row.get("c2pa_bytes_added") for fmt, row in r["rows"].items() if row.get("c2pa_bytes_added")}
    if added:
        lines += ["", "C2PA manifest size: " + ", ".join(f"{k} +{v / 1024:.1f} KB" for k, v in added.items())
                  + " (ES256, leaf + root chain, no time-stamp)."]
    if r.get("note"):
        lines += ["", r["note"]]
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args(argv)
    r = run(quick=a.quick, log=lambda m: print(m, file=sys.stderr, flush=True))
    print(render(r))
    for goal in r["goals"]:
        print(("✓ " if goal["met"] else "✗ ") + goal["text"] + ": " + goal["detail"])
    if a.json:
        a.json.write_text(json.dumps(r, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
