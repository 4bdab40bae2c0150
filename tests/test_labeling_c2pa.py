"""C2PA manifest signed last (hegui.labeling.c2pa): a self-made ES256 chain, no network."""

from __future__ import annotations

import datetime as dt
import importlib
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier
from PIL import Image

from hegui.labeling import LabelingError, inspect_file, label_file
from hegui.labeling import c2pa as hc2pa
from hegui.labeling.formats import image as image_fmt

DOC_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hegui test")])


def make_chain(folder: Path, *, leaf_eku: list[ObjectIdentifier] | None = None) -> tuple[Path, Path, Path]:
    """Root CA -> intermediate CA -> leaf (P-256); returns (leaf+intermediate PEM, leaf key PEM, root PEM)."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    later = now + dt.timedelta(days=30)
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(3)]

    def cert(subject: x509.Name, key: ec.EllipticCurvePrivateKey, issuer: x509.Name,
             issuer_key: ec.EllipticCurvePrivateKey, *, ca: bool, pathlen: int | None) -> x509.Certificate:
        b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
             .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(later)
             .add_extension(x509.BasicConstraints(ca=ca, path_length=pathlen), critical=True)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False))
        if ca:
            b = b.add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        else:
            b = b.add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            eku = leaf_eku if leaf_eku is not None else [ExtendedKeyUsageOID.EMAIL_PROTECTION, DOC_SIGNING]
            b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
        return b.sign(issuer_key, hashes.SHA256())

    root = cert(_name("hegui test root"), keys[0], _name("hegui test root"), keys[0], ca=True, pathlen=1)
    inter = cert(_name("hegui test intermediate"), keys[1], root.subject, keys[0], ca=True, pathlen=0)
    leaf = cert(_name("hegui test signer"), keys[2], inter.subject, keys[1], ca=False, pathlen=None)

    def pem(c: x509.Certificate) -> bytes:
        return c.public_bytes(serialization.Encoding.PEM)

    (folder / "chain.pem").write_bytes(pem(leaf) + pem(inter))
    (folder / "root.pem").write_bytes(pem(root))
    (folder / "leaf.key").write_bytes(keys[2].private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return folder / "chain.pem", folder / "leaf.key", folder / "root.pem"


def _picture(size: int = 256) -> Image.Image:
    y, x = np.mgrid[0:size, 0:size]
    rgb = np.stack([x * 255 // size, y * 255 // size, (x + y) * 127 // size], axis=-1)
    noise = np.random.default_rng(7).integers(0, 24, (size, size, 3))
    return Image.fromarray(np.clip(rgb + noise, 0, 255).astype(np.uint8), "RGB")


def _tamper_png(path: Path) -> None:
    """Change a byte of compressed pixel data in the first IDAT chunk and fix the chunk CRC."""
    data = bytearray(path.read_bytes())
    pos = 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IDAT":
            body = bytearray(data[pos + 8 : pos + 8 + length])
            body[length // 2] ^= 0x40
            data[pos + 8 : pos + 8 + length] = body
            data[pos + 8 + length : pos + 12 + length] = struct.pack(">I", zlib.crc32(b"IDAT" + bytes(body)))
            path.write_bytes(bytes(data))
            return
        pos += 12 + length
    raise AssertionError("no IDAT")


def _tamper_jpeg(path: Path) -> None:
    """Flip a bit in the entropy-coded scan data (never creating or breaking a 0xFF marker byte)."""
    data = bytearray(path.read_bytes())
    sos = data.rfind(b"\xff\xda")
    i = sos + (len(data) - sos) // 2
    while data[i] in (0xFF, 0xFE, 0x00) or data[i - 1] == 0xFF:
        i += 1
    data[i] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    pytest.importorskip("c2pa")
    return make_chain(tmp_path_factory.mktemp("chain"))


@pytest.fixture(params=["png", "jpg"])
def signed(request: pytest.FixtureRequest, tmp_path: Path, chain: tuple[Path, Path, Path]) -> tuple[Path, object]:
    ext = request.param
    src = tmp_path / f"gen.{ext}"
    _picture().save(src, quality=92) if ext == "jpg" else _picture().save(src)
    cert, key, root = chain
    cfg = hc2pa.C2paConfig(cert, key, trust_anchors_pem_path=root)
    res = label_file(src, tmp_path / f"out.{ext}", producer="ACME-001", explicit=True, c2pa=cfg)
    return res.path, res


def test_signed_file_is_trusted_with_our_root(signed: tuple[Path, object], chain: tuple[Path, Path, Path]) -> None:
    path, res = signed
    root = chain[2].read_text()
    assert res.c2pa is not None and res.c2pa.validation_state == "Trusted"  # type: ignore[attr-defined]
    info = hc2pa.read_manifest(path, trust_anchors_pem=root)
    assert info is not None
    assert info.validation_state == "Trusted"
    assert info.failures == ()
    assert info.digital_source_type == hc2pa.DIGITAL_SOURCE_TYPE
    assert info.claim_generator is not None and info.claim_generator.startswith("hegui/")
    # the AIGC assertion is byte for byte the metadata label
    report = inspect_file(path)
    assert report.compliant and len(report.labels) == 1
    assert info.aigc_raw == report.labels[0].raw
    assert info.aigc == res.label  # type: ignore[attr-defined]
    assert "c2pa" in res.to_dict()  # type: ignore[attr-defined]


def test_without_anchor_valid_but_untrusted(signed: tuple[Path, object]) -> None:
    info = hc2pa.read_manifest(signed[0])
    assert info is not None
    assert info.validation_state == "Valid"
    assert "signingCredential.untrusted" in info.failures


def test_pixel_tamper_is_invalid(signed: tuple[Path, object], chain: tuple[Path, Path, Path]) -> None:
    path = signed[0]
    (_tamper_png if path.suffix == ".png" else _tamper_jpeg)(path)
    info = hc2pa.read_manifest(path, trust_anchors_pem=chain[2].read_text())
    assert info is not None
    assert info.validation_state == "Invalid"
    assert any("dataHash.mismatch" in f for f in info.failures)


def test_metadata_written_after_signing_is_invalid(signed: tuple[Path, object], chain: tuple[Path, Path, Path]) -> None:
    """The pipeline order matters: any write after the C2PA signature breaks it."""
    path, res = signed
    image_fmt.write(path, path.with_name("late" + path.suffix), res.label.propagate("OTHER-1"))  # type: ignore[attr-defined]
    info = hc2pa.read_manifest(path.with_name("late" + path.suffix), trust_anchors_pem=chain[2].read_text())
    assert info is not None and info.validation_state == "Invalid"


def test_unsigned_file_has_no_manifest(tmp_path: Path, chain: tuple[Path, Path, Path]) -> None:
    _picture().save(tmp_path / "a.png")
    assert hc2pa.read_manifest(tmp_path / "a.png") is None


def test_sign_file_directly(tmp_path: Path, chain: tuple[Path, Path, Path]) -> None:
    from hegui.labeling import AigcLabel

    _picture().save(tmp_path / "a.jpg", quality=90)
    label = AigcLabel.produce("ACME-001")
    info = hc2pa.sign_file(tmp_path / "a.jpg", tmp_path / "b.jpg", hc2pa.C2paConfig(chain[0], chain[1]), label=label)
    assert info.validation_state == "Valid" and info.aigc == label
    # the C2PA assertion alone is not a metadata label
    assert inspect_file(tmp_path / "b.jpg").labels == ()


def test_leaf_without_c2pa_eku_is_refused(tmp_path: Path, chain: tuple[Path, Path, Path]) -> None:
    cert, key, root = make_chain(tmp_path, leaf_eku=[ExtendedKeyUsageOID.SERVER_AUTH])
    _picture().save(tmp_path / "a.png")
    with pytest.raises(LabelingError):
        label_file(tmp_path / "a.png", tmp_path / "out.png", producer="ACME-001", explicit=False,
                   c2pa=hc2pa.C2paConfig(cert, key, trust_anchors_pem_path=root))
    assert not (tmp_path / "out.png").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_missing_c2pa_python_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def fake(name: str, package: str | None = None) -> object:
        if name == "c2pa":
            raise ImportError("No module named 'c2pa'")
        return real(name, package)

    monkeypatch.setattr(hc2pa.importlib, "import_module", fake)
    with pytest.raises(hc2pa.C2paUnavailableError) as err:
        hc2pa.read_manifest("whatever.png")
    assert "pip install 'hegui[c2pa]'" in str(err.value)
    assert "pip install 'hegui[c2pa]'" in err.value.zh and "可选依赖" in err.value.zh
    assert not hc2pa.available()


def test_bad_algorithm() -> None:
    with pytest.raises(hc2pa.C2paError):
        hc2pa.C2paConfig("a.pem", "k.pem", alg="md5")
