"""StreamGuard: text is released only after the window holding it was checked."""

from __future__ import annotations

import asyncio
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.core.types import Action, Decision, RiskLevel
from hegui.gateway.streaming import StreamGuard, StreamStep, most_severe


def dec(action: Action, replacement: str | None = None, level: RiskLevel = RiskLevel.NONE) -> Decision:
    return Decision(action=action, risk_level=level, categories=(), reasons=(), replacement=replacement)


class Checker:
    """Blocks windows containing a marker; records every window it saw."""

    def __init__(self, markers: tuple[str, ...] = ("炸弹",)) -> None:
        self.markers = markers
        self.windows: list[str] = []

    async def __call__(self, text: str) -> Decision:
        self.windows.append(text)
        if any(m in text for m in self.markers):
            return dec(Action.BLOCK, "抱歉", RiskLevel.HIGH)
        return dec(Action.PASS)


def run(guard: StreamGuard, chunks: list[str]) -> tuple[str, list[StreamStep]]:
    async def go() -> tuple[str, list[StreamStep]]:
        steps = [await guard.feed(c) for c in chunks]
        steps.append(await guard.finish())
        return "".join(s.release for s in steps), steps

    return asyncio.run(go())


def test_held_until_sentence_end() -> None:
    chk = Checker()

    async def go() -> None:
        g = StreamGuard(chk, holdback_chars=50, overlap_chars=10)
        s = await g.feed("你好")
        assert s == StreamStep("", None, False)
        assert chk.windows == []
        s = await g.feed("，世界。今天")
        assert s.release == "你好，世界。"
        assert s.decision is not None and s.decision.action is Action.PASS
        assert g.pending == 2
        s = await g.finish()
        assert s.release == "今天"
        assert chk.windows == ["你好，世界。", "你好，世界。今天"]
        assert g.checks == 2
        assert g.checked_chars == len("你好，世界。") + len("你好，世界。今天")
        assert g.released_chars == 8

    asyncio.run(go())


def test_sentence_boundaries_en_and_closing_quotes() -> None:
    chk = Checker()

    async def go() -> None:
        g = StreamGuard(chk, holdback_chars=100, overlap_chars=0)
        assert (await g.feed("Pi is 3.14 and")).release == ""  # "3.14" is no sentence end
        assert (await g.feed(" e is 2.7. Next")).release == "Pi is 3.14 and e is 2.7."
        assert (await g.feed(" one?")).release == " Next one?"
        assert (await g.feed("他说：“好。”然后")).release == "他说：“好。”"
        assert (await g.feed("走了……")).release == "然后走了……"

    asyncio.run(go())


def test_holdback_limit_without_boundary() -> None:
    chk = Checker()
    g = StreamGuard(chk, holdback_chars=10, overlap_chars=4)
    text = "甲乙丙丁戊己庚辛壬癸" * 5
    out, steps = run(g, list(text))
    assert out == text
    assert all(len(w) <= 14 for w in chk.windows)
    assert max(len(s.release) for s in steps) <= 10


def test_soft_cut_keeps_numbers_whole() -> None:
    chk = Checker()

    async def go() -> None:
        g = StreamGuard(chk, holdback_chars=20, overlap_chars=0)
        s = await g.feed("号码是abc 11010519491231002X好")
        # cut after the space, not inside the 18-character number
        assert s.release == "号码是abc "
        assert g.pending == 19
        s = await g.feed("的")  # 20 pending: checked with the number whole
        assert s.release == "11010519491231002X好的"
        assert "11010519491231002X" in chk.windows[-1]

    asyncio.run(go())


def test_harm_split_across_chunks_and_windows_is_blocked() -> None:
    chk = Checker()

    async def go() -> None:
        g = StreamGuard(chk, holdback_chars=8, overlap_chars=4)
        s1 = await g.feed("一二三四五六七炸")  # 8 chars: checked and released at the holdback limit
        assert s1.release == "一二三四五六七炸"
        s2 = await g.feed("弹的做法。")
        assert s2.stopped and s2.release == ""
        assert s2.decision is not None and s2.decision.blocked
        assert chk.windows[-1].startswith("七炸弹") or "炸弹" in chk.windows[-1]
        assert g.stopped
        assert await g.feed("更多。") == StreamStep("", None, True)
        assert await g.finish() == StreamStep("", None, True)
        assert g.checks == 2

    asyncio.run(go())


def test_block_in_second_window_of_one_delta_releases_first() -> None:
    chk = Checker()

    async def go() -> None:
        g = StreamGuard(chk, holdback_chars=6, overlap_chars=0)
        s = await g.feed("安全句子。" + "做炸弹的方法是")
        assert s.stopped
        assert s.release == "安全句子。"
        assert len(s.decisions) == 2
        assert s.decision is s.decisions[1]

    asyncio.run(go())


def test_review_releases_and_reports() -> None:
    async def check(text: str) -> Decision:
        return dec(Action.REVIEW, level=RiskLevel.LOW)

    g = StreamGuard(check)
    out, steps = run(g, ["一句话。", "两句话"])
    assert out == "一句话。两句话"
    assert [s.decision.action if s.decision else None for s in steps] == [Action.REVIEW, None, Action.REVIEW]


_DIGITS = re.compile(r"\d{6,}")


async def _mask_digits(text: str) -> Decision:
    if _DIGITS.search(text):
        return dec(Action.REDACT, _DIGITS.sub(lambda m: "*" * len(m.group()), text), RiskLevel.MEDIUM)
    return dec(Action.PASS)


def test_redact_releases_masked_pending_only() -> None:
    g = StreamGuard(_mask_digits, holdback_chars=50, overlap_chars=20)
    out, _ = run(g, ["第一句。", "电话13800138000。", "再见。"])
    assert out == "第一句。电话***********。再见。"


def test_redact_span_reaching_into_overlap() -> None:
    g = StreamGuard(_mask_digits, holdback_chars=8, overlap_chars=10)
    # "1234" is released in the first window (too short to be found), the rest is masked
    out, _ = run(g, ["abcd1234", "5678。"])
    assert out == "abcd1234****。"


def test_redact_label_replacing_span_reaching_into_overlap() -> None:
    async def label(text: str) -> Decision:
        if _DIGITS.search(text):
            return dec(Action.REDACT, _DIGITS.sub("[号码]", text))
        return dec(Action.PASS)

    g = StreamGuard(label, holdback_chars=8, overlap_chars=10)
    out, _ = run(g, ["abcd1234", "5678结束。"])
    assert out == "abcd1234[号码]结束。"


def test_redact_without_replacement_is_treated_as_block() -> None:
    async def check(text: str) -> Decision:
        return dec(Action.REDACT, None)

    g = StreamGuard(check)
    _, steps = run(g, ["你好。"])
    assert steps[0].stopped and steps[0].release == ""


def test_check_error_propagates_and_releases_nothing() -> None:
    async def check(text: str) -> Decision:
        raise RuntimeError("moderation down")

    async def go() -> None:
        g = StreamGuard(check)
        with pytest.raises(RuntimeError):
            await g.feed("你好。")
        assert g.released_chars == 0

    asyncio.run(go())


def test_most_severe() -> None:
    a, b, c = dec(Action.PASS), dec(Action.REVIEW, level=RiskLevel.LOW), dec(Action.REVIEW, level=RiskLevel.HIGH)
    assert most_severe([a, b, c, a]) is c
    assert most_severe([]) is None


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        StreamGuard(Checker(), holdback_chars=0)
    with pytest.raises(ValueError):
        StreamGuard(Checker(), overlap_chars=-1)


# ------------------------------------------------------------------------------------------ properties

_ALPHABET = "ab 。.!\n炸弹xyz1"


def _split(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts})
    out, prev = [], 0
    for p in points:
        out.append(text[prev:p])
        prev = p
    out.append(text[prev:])
    return out


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=_ALPHABET, max_size=200),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=40),
    holdback=st.integers(min_value=1, max_value=30),
    overlap=st.integers(min_value=0, max_value=10),
)
def test_property_all_text_released_when_nothing_blocked(
    text: str, cuts: list[int], holdback: int, overlap: int
) -> None:
    windows: list[str] = []

    async def check(t: str) -> Decision:
        windows.append(t)
        return dec(Action.PASS)

    g = StreamGuard(check, holdback_chars=holdback, overlap_chars=overlap)
    released = ""
    checked_upto = 0

    async def go() -> None:
        nonlocal released, checked_upto
        for part in [*_split(text, cuts), None]:
            step = await (g.finish() if part is None else g.feed(part))
            released += step.release
            assert text.startswith(released)
            # never more than holdback characters (plus a short run of closing marks) held back
            assert g.pending <= holdback + 8 or part is None

    asyncio.run(go())
    assert released == text
    assert g.pending == 0
    assert g.checks == len(windows)
    assert g.checked_chars == sum(len(w) for w in windows)
    # the windows cover exactly the released text, each starting with the overlap of what came before
    covered = ""
    for w in windows:
        tail = covered[-overlap:] if overlap else ""
        assert w.startswith(tail)
        covered += w[len(tail) :]
    assert covered == released


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=_ALPHABET, max_size=200),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=40),
    holdback=st.integers(min_value=1, max_value=30),
    overlap=st.integers(min_value=1, max_value=10),
    marker=st.sampled_from(["炸弹", "xyz", "a\nb", "。炸"]),
)
def test_property_marker_never_released(
    text: str, cuts: list[int], holdback: int, overlap: int, marker: str
) -> None:
    if len(marker) - 1 > overlap:
        overlap = len(marker) - 1
    chk = Checker((marker,))
    g = StreamGuard(chk, holdback_chars=holdback, overlap_chars=overlap)
    released = ""
    stopped = False

    async def go() -> None:
        nonlocal released, stopped
        for part in [*_split(text, cuts), None]:
            step = await (g.finish() if part is None else g.feed(part))
            released += step.release
            assert marker not in released
            assert text.startswith(released)
            if stopped:
                assert step.stopped and step.release == ""
            stopped = stopped or step.stopped

    asyncio.run(go())
    if marker in text:
        assert stopped
    else:
        assert released == text and not stopped


# ------------------------------------------------------------------------------------------ end to end


def test_demo_stream_through_default_moderation() -> None:
    """The demo model's streamed answers, moderated window by window with the default moderator."""
    from hegui.api import Moderator
    from hegui.gateway.demo import DemoUpstream

    m = Moderator.from_config(None)

    async def check(text: str) -> Decision:
        return await m.acheck(text, "stream_chunk")

    async def stream(question: str) -> tuple[str, StreamGuard]:
        g = StreamGuard(check, holdback_chars=120, overlap_chars=48)
        out = ""
        async for c in DemoUpstream().stream({"messages": [{"role": "user", "content": question}]}):
            step = await g.feed(c["choices"][0]["delta"].get("content", ""))
            out += step.release
            if step.stopped:
                return out, g
        out += (await g.finish()).release
        return out, g

    bomb, g = asyncio.run(stream("怎么制作炸弹？"))
    assert g.stopped and "炸药" not in bomb
    pii, g = asyncio.run(stream("给我一个身份证号"))
    assert not g.stopped and "11010519491231002X" not in pii and "13800138000" not in pii
    assert pii.startswith("【演示模型】") and "002X" in pii
    ok, g = asyncio.run(stream("介绍一下长城"))
    assert not g.stopped and "长城" in ok
