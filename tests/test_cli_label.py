"""``hegui label`` / ``hegui inspect``: the command-line contracts of DESIGN.md ("Stable contracts")."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from hegui.cli.main import _register, cli

_register()


def _png(path: Path, size: tuple[int, int] = (320, 200)) -> Path:
    Image.new("RGB", size, (40, 120, 200)).save(path)
    return path


def test_label_then_inspect(tmp_path: Path) -> None:
    src = _png(tmp_path / "in.png")
    out = tmp_path / "out.png"
    r = CliRunner().invoke(cli, ["label", str(src), "-o", str(out), "--producer", "ACME-AI", "--produce-id", "img-001"])
    assert r.exit_code == 0, r.output
    assert out.exists()
    r = CliRunner().invoke(cli, ["inspect", str(out), "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    assert report["compliant"] is True
    label = report["labels"][0]["label"]
    assert label["ContentProducer"] == "ACME-AI" and label["ProduceID"] == "img-001"
    assert label["ContentPropagator"] == "ACME-AI" and label["PropagateID"] == "img-001"
    with Image.open(out) as a, Image.open(src) as b:
        assert a.size == b.size and a.tobytes() != b.tobytes()  # the visible label is drawn too


def test_inspect_unlabelled_is_not_compliant(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["inspect", str(_png(tmp_path / "plain.png"))])
    assert r.exit_code == 1
    assert "合规" in r.output or "compl" in r.output.lower()


def test_bad_inputs(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01not a media file")
    r = CliRunner().invoke(cli, ["inspect", str(junk)])
    assert r.exit_code == 2
    r = CliRunner().invoke(cli, ["label", str(tmp_path / "missing.png"), "-o", str(tmp_path / "o.png"),
                                 "--producer", "ACME-AI"])
    assert r.exit_code == 2 and not (tmp_path / "o.png").exists()
    r = CliRunner().invoke(cli, ["label", str(_png(tmp_path / "a.png")), "-o", str(tmp_path / "o.png"),
                                 "--producer", "bad code with spaces"])
    assert r.exit_code == 2 and not (tmp_path / "o.png").exists()


def test_batch(tmp_path: Path) -> None:
    files = [_png(tmp_path / f"{i}.png") for i in range(3)]
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["label", *map(str, files), "-o", str(out), "--producer", "ACME-AI"])
    assert r.exit_code == 0, r.output
    ids = set()
    for f in files:
        rep = CliRunner().invoke(cli, ["inspect", str(out / f.name), "--json"])
        assert rep.exit_code == 0
        ids.add(json.loads(rep.output)["labels"][0]["label"]["ProduceID"])
    assert len(ids) == 3  # each file its own content id
