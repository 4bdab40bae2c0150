"""`hegui scan` and `hegui check`: the stable output contract, bad input, and nothing half-written."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hegui.cli.main import _register, cli

_register()

LIB = """# hegui-lexicon 1
# name: cli-test
# version: 1
# updated: 2026-11-28
违禁测试词\tA1.6\thigh\ttest
"""

CONTRACT_KEYS = {"id", "action", "risk_level", "categories", "findings"}


@pytest.fixture()
def config(tmp_path: Path) -> Path:
    (tmp_path / "words.txt").write_text(LIB, encoding="utf-8")
    cfg = tmp_path / "hegui.yaml"
    cfg.write_text(
        "moderation:\n  detectors:\n    - name: lexicon\n      params: {paths: [words.txt]}\n    - name: pii\n",
        encoding="utf-8",
    )
    return cfg


def run(*args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    res = runner.invoke(cli, list(args), catch_exceptions=False)
    return res.exit_code, res.stdout, res.stderr


TEXTS = [
    "今天天气很好，我们去公园散步吧。",
    "这里有违.禁.测.试.词，请拦截。",
    "我的手机号是13812345678。",
    "Please summarise the attached report.",
]


def _jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def _read(path: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_jsonl_contract(tmp_path: Path, config: Path, workers: str) -> None:
    src = tmp_path / "in.jsonl"
    rows: list[dict[str, object]] = [{"id": f"r{i}", "text": t} for i, t in enumerate(TEXTS)]
    rows.append({"text": "没有编号的一行"})  # no id: the line number is used
    _jsonl(src, rows)
    out = tmp_path / "out.jsonl"
    code, _, _ = run("scan", "--input", str(src), "--text-field", "text", "--output", str(out),
                     "--config", str(config), "--workers", workers)
    assert code == 0
    res = _read(out)
    assert [r["id"] for r in res] == ["r0", "r1", "r2", "r3", 5]
    for r in res:
        assert set(r) == CONTRACT_KEYS
    assert res[0]["action"] == "pass" and res[0]["findings"] == []
    assert res[1]["action"] == "block" and res[1]["risk_level"] == "high" and res[1]["categories"] == ["A1.6"]
    span = res[1]["findings"][0]["span"]  # type: ignore[index]
    assert TEXTS[1][span[0]:span[1]] == "违.禁.测.试.词"
    assert any(f["kind"] == "mobile" for f in res[2]["findings"])  # type: ignore[union-attr]


def test_workers_give_identical_output(tmp_path: Path, config: Path) -> None:
    src = tmp_path / "many.jsonl"
    _jsonl(src, [{"id": i, "text": TEXTS[i % len(TEXTS)] + str(i)} for i in range(1500)])
    outs = []
    for w in ("1", "2"):
        out = tmp_path / f"out{w}.jsonl"
        assert run("scan", "--input", str(src), "--output", str(out), "--config", str(config), "--workers", w)[0] == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert len(outs[0].splitlines()) == 1500


def test_csv_and_txt(tmp_path: Path, config: Path) -> None:
    csv_in = tmp_path / "in.csv"
    csv_in.write_text('id,content\na,"含有违禁测试词的一行"\nb,"多行,\n文本"\n', encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert run("scan", "--input", str(csv_in), "--text-field", "content", "--output", str(out),
               "--config", str(config))[0] == 0
    res = _read(out)
    assert [r["id"] for r in res] == ["a", "b"]
    assert res[0]["action"] == "block"
    txt = tmp_path / "in.txt"
    txt.write_text("第一行\n违禁测试词\n", encoding="utf-8")
    assert run("scan", "--input", str(txt), "--output", str(out), "--config", str(config))[0] == 0
    assert [(r["id"], r["action"]) for r in _read(out)] == [(1, "pass"), (2, "block")]


def test_gzip_input(tmp_path: Path, config: Path) -> None:
    src = tmp_path / "in.jsonl.gz"
    with gzip.open(src, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": 1, "text": "违禁测试词"}, ensure_ascii=False) + "\n")
    out = tmp_path / "o.jsonl"
    assert run("scan", "--input", str(src), "--output", str(out), "--config", str(config))[0] == 0
    assert _read(out)[0]["action"] == "block"


def _assert_nothing_written(tmp_path: Path, out: Path, before: bytes | None) -> None:
    if before is None:
        assert not out.exists()
    else:
        assert out.read_bytes() == before  # an earlier result is not clobbered
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.parametrize("workers", ["1", "2"])
def test_non_utf8_names_line_and_writes_nothing(tmp_path: Path, config: Path, workers: str) -> None:
    src = tmp_path / "bad.jsonl"
    good = "".join(json.dumps({"text": f"第{i}行"}, ensure_ascii=False) + "\n" for i in range(600))
    src.write_bytes(good.encode() + json.dumps({"text": "编码错误"}, ensure_ascii=False).encode("gb18030") + b"\n")
    out = tmp_path / "o.jsonl"
    out.write_text("earlier results\n", encoding="utf-8")
    code, _, err = run("scan", "--input", str(src), "--output", str(out), "--config", str(config), "--workers", workers)
    assert code == 2
    assert f"{src}:601:" in err and "UTF-8" in err
    _assert_nothing_written(tmp_path, out, b"earlier results\n")


def test_truncated_jsonl(tmp_path: Path, config: Path) -> None:
    src = tmp_path / "cut.jsonl"
    src.write_text('{"id": 1, "text": "完整"}\n{"id": 2, "text": "被截', encoding="utf-8")
    out = tmp_path / "o.jsonl"
    code, _, err = run("scan", "--input", str(src), "--output", str(out), "--config", str(config))
    assert code == 2
    assert f"{src}:2:" in err and "JSON" in err
    _assert_nothing_written(tmp_path, out, None)


def test_truncated_gzip(tmp_path: Path, config: Path) -> None:
    src = tmp_path / "cut.jsonl.gz"
    data = gzip.compress(("".join(json.dumps({"text": f"第{i}行文本"}, ensure_ascii=False) + "\n"
                                  for i in range(5000))).encode())
    src.write_bytes(data[: len(data) // 2])
    out = tmp_path / "o.jsonl"
    code, _, err = run("scan", "--input", str(src), "--output", str(out), "--config", str(config))
    assert code == 2
    assert "truncated" in err and str(src) in err
    _assert_nothing_written(tmp_path, out, None)


def test_missing_field_and_bad_args(tmp_path: Path, config: Path) -> None:
    src = tmp_path / "in.jsonl"
    _jsonl(src, [{"text": "a"}, {"body": "b"}])
    out = tmp_path / "o.jsonl"
    code, _, err = run("scan", "--input", str(src), "--output", str(out), "--config", str(config))
    assert code == 2 and f"{src}:2:" in err and "--text-field" in err
    _assert_nothing_written(tmp_path, out, None)
    assert run("scan", "--output", str(out))[0] == 2  # --input missing
    assert run("scan", "--input", str(tmp_path / "nope.jsonl"), "--output", str(out))[0] == 2
    assert run("scan", "--input", str(src), "--output", str(src))[0] == 2  # would overwrite the input


def test_csv_missing_column(tmp_path: Path, config: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,body\n1,hello\n", encoding="utf-8")
    code, _, err = run("scan", "--input", str(src), "--output", str(tmp_path / "o.jsonl"), "--config", str(config))
    assert code == 2 and "text" in err and "body" in err


def test_check_readable_and_json(config: Path) -> None:
    code, out, _ = run("check", "--config", str(config), "这里有违.禁测试词")
    assert code == 0
    assert "block" in out and "A1.6" in out and "违.禁测试词" in out
    code, out, _ = run("check", "--config", str(config), "--json", "--stage", "output", "我的电话13812345678")
    d = json.loads(out)
    assert d["action"] == "redact" and "138****5678" in d["replacement"]
    assert run("check", "--config", str(config), "--exit-code", "违禁测试词")[0] == 1
    assert run("check", "--config", str(config), "--exit-code", "你好")[0] == 0


def test_broken_config_names_line(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("moderation:\n  detectors:\n    - name: lexicon\n      paramz: {}\n", encoding="utf-8")
    code, _, err = run("check", "--config", str(cfg), "你好")
    assert code == 2 and f"{cfg}:4" in err


def test_entry_point_installed() -> None:
    exe = Path(sys.executable).parent / "hegui"
    res = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=False)
    assert res.returncode == 0 and "scan" in res.stdout and "check" in res.stdout


def test_id_check_command() -> None:
    assert run("id-check", "11010519491231002X")[0] == 0
    code, _out, _ = run("id-check", "110105194912310021")
    assert code == 1


def test_output_gets_normal_permissions(tmp_path: Path, config: Path) -> None:
    import os
    import stat

    src = tmp_path / "in.txt"
    src.write_text("你好\n", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    old = os.umask(0o022)
    try:
        assert run("scan", "--input", str(src), "--output", str(out), "--config", str(config))[0] == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
