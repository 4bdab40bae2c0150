"""Invisible image watermark: DWT-DCT-SVD, 32-bit payload (an optional layer next to the GB 45438 labels).

The method is the ``dwtDctSvd`` one of invisible-watermark (MIT), re-implemented with numpy and PyWavelets:

1. luminance Y (BT.601) of the image; one level Haar DWT; the LL band is cut into 4×4 blocks;
2. each block carries one payload bit: block ``i`` carries bit ``i mod 32``, XOR a key-derived pseudo-random
   bit (so that a flat or unmarked image, whose blocks all read alike, decodes to noise instead of a stable
   value);
3. the block's largest singular value ``s0`` (of its 2-D DCT; the orthonormal DCT does not change singular
   values, so we take them from the block directly) is quantised to ``(floor(s0/Q) + 0.25 + 0.5·bit)·Q``,
   ``Q`` = ``strength``;
4. decoding reads the phase ``(s0 mod Q)/Q`` of every block, a soft vote ``-sin(2π·phase)`` (+1 at 0.75 = bit 1,
   −1 at 0.25 = bit 0), averages the votes per bit and takes the sign. The mean per-bit z-score is the
   confidence: unmarked images give ≈ 0.8, marked ones ≫ 2.

The change goes into R, G and B equally, so chroma is untouched. Robust (tested) to JPEG quality 75 and to a
0.5× downscale **when the verifier scales the image back to its original size** (``original_size``) before
decoding; not robust to cropping or to a plain downscale without that step (the block grid is lost).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

import numpy as np
import pywt
from numpy.typing import NDArray
from PIL import Image

__all__ = [
    "DEFAULT_KEY",
    "DEFAULT_STRENGTH",
    "PAYLOAD_BITS",
    "WatermarkReading",
    "embed",
    "extract",
    "psnr",
    "read",
    "verify",
]

PAYLOAD_BITS: Final = 32
BLOCK: Final = 4
DEFAULT_STRENGTH: Final = 36.0
DEFAULT_KEY: Final = b"hegui-watermark-v1"
#: ``extract`` answers only when the mean per-bit |z| reaches this (unmarked: mean 0.8, sd ≈ 0.11)
MIN_CONFIDENCE: Final = 2.5
#: ``verify``: bits that must match a claimed payload (chance for a random image ≈ 1.3e-6)
MIN_MATCHING_BITS: Final = 29
#: smallest usable image: 8 blocks per bit
MIN_BLOCKS: Final = 8 * PAYLOAD_BITS

_Float = NDArray[np.float64]


@dataclass(frozen=True)
class WatermarkReading:
    """A decode: the payload, the per-bit z-scores and their mean |z| (the confidence)."""

    payload: int
    confidence: float
    bit_z: tuple[float, ...]
    blocks: int

    @property
    def confident(self) -> bool:
        return self.confidence >= MIN_CONFIDENCE


def _luma(rgb: _Float) -> _Float:
    out: _Float = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    return out


def _grid(shape: tuple[int, int]) -> tuple[int, int]:
    """Rows and columns of 4×4 LL blocks for an image of ``shape`` (height, width)."""
    return shape[0] // (2 * BLOCK), shape[1] // (2 * BLOCK)


def _signs(key: bytes, n: int) -> NDArray[np.int64]:
    """The key's pseudo-random bit per block (0/1)."""
    seed = int.from_bytes(hashlib.sha256(b"wm-block-bits|" + key).digest()[:8], "big")
    return np.random.default_rng(seed).integers(0, 2, size=n)


def _blocks(ll: _Float, rows: int, cols: int) -> _Float:
    out: _Float = ll[: rows * BLOCK, : cols * BLOCK].reshape(rows, BLOCK, cols, BLOCK).transpose(0, 2, 1, 3)
    return out.reshape(-1, BLOCK, BLOCK)


def _unblocks(blocks: _Float, rows: int, cols: int) -> _Float:
    out: _Float = blocks.reshape(rows, cols, BLOCK, BLOCK).transpose(0, 2, 1, 3).reshape(rows * BLOCK, cols * BLOCK)
    return out


def _top_singular(blocks: _Float) -> tuple[_Float, _Float, _Float]:
    """Largest singular value and its left/right singular vectors of each block (via the eigen-decomposition of
    BᵀB, about twice as fast as a batched SVD for 4×4 blocks)."""
    w, vecs = np.linalg.eigh(np.einsum("nij,nik->njk", blocks, blocks))
    s0 = np.sqrt(np.maximum(w[:, -1], 0.0))
    v0 = vecs[:, :, -1]
    tiny = s0 < 1e-9
    safe = np.where(tiny, 1.0, s0)
    u0 = np.einsum("nij,nj->ni", blocks, v0) / safe[:, None]
    u0[tiny] = 0.5  # an all-zero block: any unit vectors will do
    v0[tiny] = 0.5
    return s0, u0, v0


def _as_rgb_array(img: Image.Image) -> tuple[_Float, NDArray[np.uint8] | None]:
    """(RGB float array, alpha or None)."""
    alpha = None
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        alpha = np.asarray(rgba)[..., 3].copy()
        rgb = np.asarray(rgba)[..., :3]
    else:
        rgb = np.asarray(img.convert("RGB"))
    return rgb.astype(np.float64), alpha


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    rows, cols = _grid((size[1], size[0]))
    if rows * cols < MIN_BLOCKS:
        raise ValueError(f"image {size[0]}x{size[1]} too small for a {PAYLOAD_BITS}-bit watermark "
                         f"(needs {MIN_BLOCKS} blocks of 8x8 pixels, e.g. 128x128)")
    return rows, cols


def embed(img: Image.Image, payload: int, *, strength: float = DEFAULT_STRENGTH,
          key: bytes = DEFAULT_KEY) -> Image.Image:
    """``img`` with ``payload`` (0 ≤ payload < 2**32) hidden in its luminance. Mode L stays L; an alpha channel
    is kept; everything else comes back RGB."""
    if not 0 <= payload < 1 << PAYLOAD_BITS:
        raise ValueError(f"payload must fit in {PAYLOAD_BITS} bits")
    rows, cols = _check_size(img.size)
    rgb, alpha = _as_rgb_array(img)
    h8, w8 = rows * 2 * BLOCK, cols * 2 * BLOCK
    y = _luma(rgb[:h8, :w8])
    ll, details = pywt.dwt2(y, "haar")
    blocks = _blocks(np.asarray(ll, dtype=np.float64), rows, cols)
    n = blocks.shape[0]
    bits = (payload >> (PAYLOAD_BITS - 1 - np.arange(PAYLOAD_BITS))) & 1
    block_bits = bits[np.arange(n) % PAYLOAD_BITS] ^ _signs(key, n)
    s0, u0, v0 = _top_singular(blocks)
    target = (np.floor(s0 / strength) + 0.25 + 0.5 * block_bits) * strength
    # only s0 changes: B' = B + (s0' - s0) u0 v0^T
    delta = (target - s0)[:, None, None] * (u0[:, :, None] * v0[:, None, :])
    new_ll = _unblocks(blocks + delta, rows, cols)
    full_ll = np.asarray(ll, dtype=np.float64).copy()
    full_ll[: rows * BLOCK, : cols * BLOCK] = new_ll
    y2 = np.asarray(pywt.idwt2((full_ll, details), "haar"), dtype=np.float64)[:h8, :w8]
    out = rgb.copy()
    out[:h8, :w8] += (y2 - y)[..., None]
    arr = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    if img.mode == "L":
        return Image.fromarray(np.rint(_luma(arr.astype(np.float64))).clip(0, 255).astype(np.uint8))
    if alpha is not None:
        return Image.fromarray(np.dstack([arr, alpha]))
    return Image.fromarray(arr)


def read(img: Image.Image, *, original_size: tuple[int, int] | None = None, strength: float = DEFAULT_STRENGTH,
         key: bytes = DEFAULT_KEY) -> WatermarkReading:
    """Decode whatever the image carries, with its confidence. ``original_size`` (width, height): the size the
    image had when marked; a resized copy is scaled back to it first (bicubic)."""
    if original_size is not None and tuple(img.size) != tuple(original_size):
        img = img.convert("RGB").resize(original_size, Image.Resampling.BICUBIC)
    rows, cols = _check_size(img.size)
    rgb, _ = _as_rgb_array(img)
    y = _luma(rgb[: rows * 2 * BLOCK, : cols * 2 * BLOCK])
    ll = np.asarray(pywt.dwt2(y, "haar")[0], dtype=np.float64)
    blocks = _blocks(ll, rows, cols)
    n = blocks.shape[0]
    s0 = np.sqrt(np.maximum(np.linalg.eigvalsh(np.einsum("nij,nik->njk", blocks, blocks))[:, -1], 0.0))
    phase = np.mod(s0, strength) / strength
    vote = -np.sin(2 * np.pi * phase)  # +1 → bit 1, −1 → bit 0
    vote = np.where(_signs(key, n) == 1, -vote, vote)
    idx = np.arange(n) % PAYLOAD_BITS
    sums = np.bincount(idx, weights=vote, minlength=PAYLOAD_BITS)
    counts = np.bincount(idx, minlength=PAYLOAD_BITS).astype(np.float64)
    z = sums / (np.sqrt(counts) * np.sqrt(0.5))  # a uniform phase gives votes of variance 1/2
    payload = 0
    for b in z:
        payload = (payload << 1) | int(b > 0)
    return WatermarkReading(payload=payload, confidence=float(np.mean(np.abs(z))),
                            bit_z=tuple(float(v) for v in z), blocks=n)


def extract(img: Image.Image, *, original_size: tuple[int, int] | None = None,
            strength: float = DEFAULT_STRENGTH, key: bytes = DEFAULT_KEY) -> int | None:
    """The payload, or None when the image carries no confident watermark (see :data:`MIN_CONFIDENCE`)."""
    reading = read(img, original_size=original_size, strength=strength, key=key)
    return reading.payload if reading.confident else None


def verify(img: Image.Image, payload: int, *, original_size: tuple[int, int] | None = None,
           strength: float = DEFAULT_STRENGTH, key: bytes = DEFAULT_KEY) -> bool:
    """Whether ``img`` carries ``payload``: at least :data:`MIN_MATCHING_BITS` of the 32 bits agree."""
    got = read(img, original_size=original_size, strength=strength, key=key).payload
    return PAYLOAD_BITS - bin((got ^ payload) & ((1 << PAYLOAD_BITS) - 1)).count("1") >= MIN_MATCHING_BITS


def psnr(a: Image.Image, b: Image.Image) -> float:
    """Peak signal-to-noise ratio (dB) between two images of the same size, over RGB."""
    x = np.asarray(a.convert("RGB"), dtype=np.float64)
    y = np.asarray(b.convert("RGB"), dtype=np.float64)
    mse = float(np.mean((x - y) ** 2))
    return float("inf") if mse == 0 else 10 * float(np.log10(255.0**2 / mse))
