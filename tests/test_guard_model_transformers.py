"""The local ``transformers`` backend, on a tiny random model that the test builds (no download, no hub).

A character-level tokenizer (``tokenizers`` WordLevel over single characters, fused on decode) with a chat
template, and a 2-layer Llama with hidden size 16, saved to tmp_path and loaded back with
``local_files_only=True``. The random model writes garbage, which must raise a parse error; a canned
generation checks the full path from text to findings.
"""

from __future__ import annotations

import asyncio
import os
import string
from pathlib import Path
from typing import Any

import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
tokenizers = pytest.importorskip("tokenizers")

from hegui.core.errors import ConfigError, DetectorError  # noqa: E402
from hegui.core.types import Severity, Stage  # noqa: E402
from hegui.detectors.base import DetectContext  # noqa: E402
from hegui.detectors.guard_model import (  # noqa: E402
    GuardModelDetector,
    GuardModelError,
    GuardModelOutputError,
    TransformersGuardBackend,
)

CHAT_TEMPLATE = "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}\n{% endfor %}<assistant>"
IN = DetectContext(stage=Stage.INPUT)


def _build_tiny_model(path: Path) -> None:
    chars = sorted(set(string.printable) | set("你好世界用户回答抱歉，。"))
    vocab = {"<unk>": 0, "<pad>": 1, "<eos>": 2}
    for c in chars:
        vocab.setdefault(c, len(vocab))
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Split(tokenizers.Regex(r"[\s\S]"), behavior="isolated")
    tok.decoder = tokenizers.decoders.Fuse()
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", eos_token="<eos>"
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(str(path))
    torch.manual_seed(0)
    cfg = transformers.LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=512,
        pad_token_id=1,
        eos_token_id=2,
        bos_token_id=None,
    )
    transformers.LlamaForCausalLM(cfg).save_pretrained(str(path))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tiny-guard")
    _build_tiny_model(path)
    return path


@pytest.fixture()
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to reach a hub fails loudly."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")


def _det(path: Path, **kw: Any) -> GuardModelDetector:
    d = GuardModelDetector(backend="transformers", path=str(path), max_tokens=24, **kw)
    d.load()
    return d


def test_random_model_output_is_a_parse_error(tiny_model: Path, offline: None) -> None:
    d = _det(tiny_model)
    with pytest.raises(GuardModelOutputError) as ei:
        d.detect("你好，世界", IN)
    err = ei.value
    assert isinstance(err, DetectorError) and err.detector == "guard_model"
    assert "unparsable qwen3guard output" in err.en and "local model" in err.en
    assert err.raw  # the model did generate something
    with pytest.raises(GuardModelOutputError):
        asyncio.run(d.adetect("你好，世界", IN))


def test_the_model_is_a_plain_local_directory(tiny_model: Path) -> None:
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= set(os.listdir(tiny_model))


def _canned(d: GuardModelDetector, answer: str, seen: list[str]) -> None:
    """Make the model's next generations produce ``answer`` (and record the prompt it was given)."""
    backend = d.backend
    assert isinstance(backend, TransformersGuardBackend)
    tok, model = backend._tokenizer, backend._model
    answer_ids = tok(answer, add_special_tokens=False, return_tensors="pt")["input_ids"]

    def generate(input_ids: Any, **kwargs: Any) -> Any:
        assert kwargs["do_sample"] is False and kwargs["max_new_tokens"] == 24
        seen.append(tok.decode(input_ids[0]))
        eos = torch.tensor([[tok.eos_token_id]])
        return torch.cat([input_ids, answer_ids, eos], dim=1)

    model.generate = generate


def test_full_path_with_canned_generation(tiny_model: Path, offline: None) -> None:
    d = _det(tiny_model)
    seen: list[str] = []
    _canned(d, "Safety: Unsafe\nCategories: Violent", seen)
    found = d.detect("你好", IN)
    assert [(f.risk, f.severity, f.evidence) for f in found] == [
        ("A1.6", Severity.HIGH, "qwen3guard: Unsafe [Violent]")
    ]
    assert found[0].meta["model"] == tiny_model.name
    assert seen == ["<user>你好\n<assistant>"]  # the chat template built the prompt

    _canned(d, "Safety: Safe\nCategories: None\nRefusal: Yes", seen)
    ctx = DetectContext(stage=Stage.OUTPUT, extra={"prompt": "用户"})
    assert asyncio.run(d.adetect("抱歉", ctx)) == []
    assert seen[-1] == "<user>用户\n<assistant>抱歉\n<assistant>"
    assert d.classify("抱歉", ctx).refusal is True


def test_llamaguard_format_local(tiny_model: Path, offline: None) -> None:
    d = _det(tiny_model, format="llamaguard")
    seen: list[str] = []
    _canned(d, "\n\nunsafe\nS7", seen)
    assert [f.risk for f in d.detect("x", IN)] == ["A4.6"]


def test_generation_failure_is_a_detector_error(tiny_model: Path, offline: None) -> None:
    d = _det(tiny_model)
    backend = d.backend
    assert isinstance(backend, TransformersGuardBackend)

    def boom(**kwargs: Any) -> Any:
        raise RuntimeError("out of memory")

    backend._model.generate = boom
    with pytest.raises(GuardModelError, match="generation failed"):
        d.detect("x", IN)


def test_missing_directory_is_a_config_error(tmp_path: Path, offline: None) -> None:
    d = GuardModelDetector(backend="transformers", path=str(tmp_path / "Qwen" / "Qwen3Guard-Gen-0.6B"))
    with pytest.raises(ConfigError, match="not a directory"):
        d.load()


def test_not_a_model_directory_is_a_config_error(tmp_path: Path, offline: None) -> None:
    (tmp_path / "README.md").write_text("not a model", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot load"):
        GuardModelDetector(backend="transformers", path=str(tmp_path)).load()


def test_tokenizer_without_chat_template_is_a_config_error(tiny_model: Path, tmp_path: Path, offline: None) -> None:
    import shutil

    copy = tmp_path / "no-template"
    shutil.copytree(tiny_model, copy)
    for name in os.listdir(copy):
        if name.startswith("chat_template"):
            (copy / name).unlink()
    cfg = copy / "tokenizer_config.json"
    text = cfg.read_text(encoding="utf-8")
    if "chat_template" in text:
        import json

        data = json.loads(text)
        data.pop("chat_template", None)
        cfg.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="chat template"):
        GuardModelDetector(backend="transformers", path=str(copy)).load()
