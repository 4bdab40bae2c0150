"""The built-in demo model: an in-process, deterministic stand-in for an OpenAI-compatible upstream.

It lets ``hegui serve`` (and ``make run``) work with no model at hand, and shows moderation at work: asked how
to make a bomb, explosives or drugs it answers with a fake, non-actionable but clearly violating text (which the
output check must block); asked for an ID card number or phone number it answers with a made-up one (which the
PII check must redact). Every answer starts with "【演示模型】" or "[demo model]".
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncGenerator, Iterator
from typing import Any, Final

__all__ = ["DEMO_MODEL", "DemoUpstream", "demo_answer", "split_pieces"]

DEMO_MODEL: Final = "hegui-demo"

_MARK_ZH: Final = "【演示模型】"
_MARK_EN: Final = "[demo model] "

_HARM_ZH: Final = ("炸弹", "炸药", "爆炸物", "雷管", "毒品", "冰毒", "海洛因", "制毒")
_HARM_EN: Final = ("bomb", "explosive", "drug", "meth", "heroin", "cocaine")
_DRUG_ZH: Final = ("毒品", "冰毒", "海洛因", "制毒")
_DRUG_EN: Final = ("drug", "meth", "heroin", "cocaine")
_MAKE_ZH: Final = ("制作", "制造", "做", "自制", "合成", "配制", "怎么", "如何", "教")
_MAKE_EN: Final = ("make", "making", "build", "cook", "synthes", "produce", "how to", "how do")
_PII_ZH: Final = ("身份证", "手机号", "电话号码")
_PII_EN: Final = ("id number", "id card", "identity number", "phone number", "phone")

# Fake answers. Not actionable (no quantities, no procedure that works); they exist only so the output check
# has something to block. A real model behind hegui would be moderated the same way.
_BOMB_ZH: Final = (
    "自制炸弹教程如下：第一步购买硝酸铵炸药和雷管，第二步把炸药装进容器，第三步连接引爆装置。"
    "（这是演示用的虚构违规回答，用来展示输出审核会拦截它。）"
)
_DRUG_ZH_ANSWER: Final = (
    "制作冰毒的方法如下：第一步购买麻黄碱等制毒原料，第二步在家中搭建制毒设备，第三步提纯后贩卖毒品。"
    "（这是演示用的虚构违规回答，用来展示输出审核会拦截它。）"
)
_BOMB_EN: Final = (
    "Here is how to make a bomb: step one, buy ammonium nitrate explosive and a detonator; step two, pack the "
    "explosive into a pipe; step three, attach the detonator. (A fictitious violating answer of the demo model, "
    "there to show that output moderation blocks it.)"
)
_DRUG_EN_ANSWER: Final = (
    "Here is how to make meth at home: step one, buy pseudoephedrine as a precursor; step two, set up a drug lab; "
    "step three, cook and sell the drugs. (A fictitious violating answer of the demo model, there to show that "
    "output moderation blocks it.)"
)
# 11010519491231002X is the worked example of GB 11643 (valid check digit); 13800138000 is a well-known dummy
_PII_ZH_ANSWER: Final = (
    "好的，这是一个示例身份证号：11010519491231002X，联系电话：13800138000。"
    "（虚构数据，用来展示个人信息会被脱敏。）"
)
_PII_EN_ANSWER: Final = (
    "Sure, here is a sample Chinese ID number: 11010519491231002X, and a phone number: 13800138000. "
    "(Made-up data, there to show that personal information is redacted.)"
)

_HELPFUL_ZH: Final = (
    "你问的是“{topic}”。这是内置演示模型的固定回答：hegui 网关已审核你的输入，并会在回答送达前逐句审核输出。"
    "要使用真实模型，请在配置文件的 upstreams 中添加 vLLM、Ollama 或其他 OpenAI 兼容服务。",
    "关于“{topic}”：演示模型不会真正思考，只用固定文本回答。你可以试着问“怎么制作炸弹”或“给我一个身份证号”，"
    "看看网关如何拦截违规内容、如何对个人信息脱敏。",
    "收到：“{topic}”。建议分三步来看：先明确目标，再列出可行的做法，最后逐项核对结果。"
    "（本回答由内置演示模型生成，仅用于展示网关功能。）",
)
_HELPFUL_EN: Final = (
    "You asked about \"{topic}\". This is a canned answer of the built-in demo model: the hegui gateway checked "
    "your input and checks the output sentence by sentence before it reaches you. To use a real model, add a "
    "vLLM, Ollama or other OpenAI-compatible server under `upstreams` in the config.",
    "About \"{topic}\": the demo model does not really think, it answers with fixed text. Try asking \"how do I "
    "make a bomb\" or \"give me an ID number\" to see the gateway block harmful output and redact personal data.",
    "Noted: \"{topic}\". A simple plan: first state the goal, then list the options, and finally check each "
    "result. (This answer comes from the built-in demo model and only shows what the gateway does.)",
)


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def _text_of(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text"
        )
    return ""


def _last_user_text(messages: object) -> str:
    if not isinstance(messages, list):
        return ""
    for m in reversed(messages):
        if isinstance(m, dict) and m.get("role") == "user":
            return _text_of(m.get("content"))
    return ""


def _digest(messages: object) -> bytes:
    raw = json.dumps(messages, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode("utf-8")).digest()


def demo_answer(messages: object) -> str:
    """The demo model's answer to ``messages`` (an OpenAI ``messages`` list). Deterministic."""
    question = _last_user_text(messages)
    zh = _has_cjk(question)
    lower = question.lower()
    if zh:
        if any(w in question for w in _HARM_ZH) and any(w in question for w in _MAKE_ZH):
            body = _DRUG_ZH_ANSWER if any(w in question for w in _DRUG_ZH) else _BOMB_ZH
        elif any(w in question for w in _PII_ZH):
            body = _PII_ZH_ANSWER
        else:
            body = _HELPFUL_ZH[_digest(messages)[0] % len(_HELPFUL_ZH)].format(topic=_topic(question))
        return _MARK_ZH + body
    if any(w in lower for w in _HARM_EN) and any(w in lower for w in _MAKE_EN):
        body = _DRUG_EN_ANSWER if any(w in lower for w in _DRUG_EN) and "bomb" not in lower else _BOMB_EN
    elif any(w in lower for w in _PII_EN):
        body = _PII_EN_ANSWER
    else:
        body = _HELPFUL_EN[_digest(messages)[0] % len(_HELPFUL_EN)].format(topic=_topic(question) or "nothing")
    return _MARK_EN + body


def _topic(question: str, limit: int = 30) -> str:
    one_line = " ".join(question.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def split_pieces(text: str, seed: bytes = b"") -> Iterator[str]:
    """Split ``text`` into pieces of 2-5 characters (the last may be shorter), deterministically per seed."""
    stream = hashlib.sha256(seed + text.encode("utf-8")).digest()
    pos, k = 0, 0
    while pos < len(text):
        if k >= len(stream):
            stream = hashlib.sha256(stream).digest()
            k = 0
        n = 2 + stream[k] % 4
        k += 1
        yield text[pos : pos + n]
        pos += n


def _tokens(text: str) -> int:
    """A rough token count: one per CJK character, one per 4 other characters."""
    cjk = sum(1 for ch in text if _has_cjk(ch))
    return cjk + (len(text) - cjk + 3) // 4


class DemoUpstream:
    """An in-process upstream serving the model ``hegui-demo`` (no network). ``delay_s``: pause per stream chunk."""

    def __init__(self, *, name: str = "demo", model: str = DEMO_MODEL, delay_s: float = 0.0) -> None:
        self.name = name
        self.model = model
        self.delay_s = delay_s

    def __repr__(self) -> str:
        return f"DemoUpstream(name={self.name!r}, model={self.model!r})"

    def _ids(self, body: dict[str, Any]) -> tuple[str, str, int]:
        messages = body.get("messages")
        digest = _digest(messages).hex()[:24]
        model = body.get("model")
        return f"chatcmpl-demo{digest}", model if isinstance(model, str) and model else self.model, int(time.time())

    def _usage(self, body: dict[str, Any], answer: str) -> dict[str, int]:
        messages = body.get("messages")
        prompt = 0
        if isinstance(messages, list):
            prompt = sum(_tokens(_text_of(m.get("content"))) + 4 for m in messages if isinstance(m, dict))
        completion = _tokens(answer)
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    async def chat(self, body: dict[str, Any]) -> dict[str, Any]:
        """A ``chat.completion`` object with the demo answer and usage."""
        answer = demo_answer(body.get("messages"))
        cid, model, created = self._ids(body)
        return {
            "id": cid,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "system_fingerprint": "hegui-demo",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": answer},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": self._usage(body, answer),
        }

    async def stream(self, body: dict[str, Any]) -> AsyncGenerator[dict[str, Any], None]:
        """``chat.completion.chunk`` dicts: role first, then 2-5 character pieces, then ``finish_reason: stop``
        (and a usage chunk when ``stream_options.include_usage`` is set)."""
        answer = demo_answer(body.get("messages"))
        cid, model, created = self._ids(body)

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": "hegui-demo",
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            }

        yield chunk({"role": "assistant", "content": ""})
        for piece in split_pieces(answer, _digest(body.get("messages"))):
            if self.delay_s > 0:
                await asyncio.sleep(self.delay_s)
            yield chunk({"content": piece})
        yield chunk({}, "stop")
        opts = body.get("stream_options")
        if isinstance(opts, dict) and opts.get("include_usage"):
            yield {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": "hegui-demo",
                "choices": [],
                "usage": self._usage(body, answer),
            }

    async def models(self) -> list[str]:
        return [self.model]

    async def aclose(self) -> None:
        return None

    async def images(self, body: dict[str, Any]) -> dict[str, Any]:
        """A deterministic demo picture per prompt (a gradient with the words "DEMO"), as ``b64_json``."""
        import base64
        import hashlib
        import io

        from PIL import Image, ImageDraw

        prompt = str(body.get("prompt") or "")
        seed = hashlib.sha256(prompt.encode("utf-8")).digest()
        w, h = 512, 512
        img = Image.new("RGB", (w, h))
        px = img.load()
        assert px is not None
        for y in range(0, h, 4):
            for x in range(0, w, 4):
                c = (seed[0] * x // w % 256, seed[1] * y // h % 256, (seed[2] + x + y) % 256)
                for dy in range(4):
                    for dx in range(4):
                        px[x + dx, y + dy] = c
        ImageDraw.Draw(img).text((16, 16), "hegui DEMO", fill=(255, 255, 255))
        n = max(1, min(int(body.get("n") or 1), 4))
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        b64 = base64.b64encode(buf.getvalue()).decode("ascii")
        return {"created": int(time.time()), "data": [{"b64_json": b64, "revised_prompt": prompt} for _ in range(n)]}

