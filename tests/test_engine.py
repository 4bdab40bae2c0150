"""The engine: crashed and slow detectors are failures (never a check that ran), and the policy fails closed."""

from __future__ import annotations

import asyncio
import time
from typing import ClassVar

import pytest

from hegui.api import Moderator
from hegui.core.types import Action, Finding, RiskLevel, Severity, Span, Stage
from hegui.detectors.base import DetectContext, Detector
from hegui.moderation.engine import Engine
from hegui.policy import default_policy, load_policy_text


class Crashing(Detector):
    name: ClassVar[str] = "crashing"

    def detect(self, text: str, ctx: DetectContext) -> list[Finding]:
        raise RuntimeError("model file vanished")


class Finds(Detector):
    name: ClassVar[str] = "finds"

    def detect(self, text: str, ctx: DetectContext) -> list[Finding]:
        i = text.find("坏")
        if i < 0:
            return []
        return [Finding("finds", "A1.6", Severity.HIGH, Span(i, i + 1), "坏")]


class Slow(Detector):
    name: ClassVar[str] = "slow"

    def __init__(self, delay: float, label: str = "slow") -> None:
        super().__init__()
        self.delay = delay
        self.label = label

    def detect(self, text: str, ctx: DetectContext) -> list[Finding]:
        time.sleep(self.delay)
        return []

    async def adetect(self, text: str, ctx: DetectContext) -> list[Finding]:
        await asyncio.sleep(self.delay)
        return []


class Slow2(Slow):
    name: ClassVar[str] = "slow2"


def test_crashed_detector_is_a_failure_and_blocks() -> None:
    m = Moderator([Finds(), Crashing()], default_policy())
    d = m.check("一切正常", stage="input")
    assert d.detectors_run == ("finds",)
    assert [f.detector for f in d.detectors_failed] == ["crashing"]
    assert "vanished" in d.detectors_failed[0].error
    assert d.action is Action.BLOCK and d.risk_level is RiskLevel.HIGH
    assert d.replacement  # the "unavailable" safe answer, not an HTTP 500


def test_fail_open_reviews_instead() -> None:
    rules = "    rules:\n      - {id: a, risks: '*', action: review}\n"
    text = "version: '1'\nname: open\nfail: open\nstages:\n  input:\n" + rules + "  output:\n" + rules
    m = Moderator([Finds(), Crashing()], load_policy_text(text))
    d = m.check("一切正常", stage="input")
    assert d.action is Action.REVIEW
    assert d.detectors_failed  # the failure is still recorded


def test_no_detector_at_all_is_not_a_pass() -> None:
    d = Moderator([], default_policy()).check("你好")
    assert d.action is Action.BLOCK


def test_async_deadline_and_concurrency() -> None:
    eng = Engine([Finds(), Slow(0.3), Slow2(0.3)], deadline_s=1.0)
    t0 = time.perf_counter()
    a = asyncio.run(eng.aassess("坏", Stage.INPUT))
    assert time.perf_counter() - t0 < 0.55  # the two slow ones ran side by side
    assert a.detectors_run == ("finds", "slow", "slow2") and not a.detectors_failed
    eng = Engine([Finds(), Slow(2.0)], deadline_s=0.2)
    a = asyncio.run(eng.aassess("坏", Stage.INPUT))
    assert a.detectors_run == ("finds",)
    assert a.detectors_failed[0].detector == "slow" and "Timeout" in a.detectors_failed[0].error
    assert [f.risk for f in a.findings] == ["A1.6"]


def test_acheck_matches_check() -> None:
    m = Moderator([Finds()], default_policy())
    assert asyncio.run(m.acheck("这很坏")).action is m.check("这很坏").action is Action.BLOCK


def test_duplicate_detector_names_are_errors() -> None:
    from hegui.core.errors import ConfigError

    with pytest.raises(ConfigError):
        Engine([Finds(), Finds()])


def test_engine_never_logs_text(caplog: pytest.LogCaptureFixture) -> None:
    m = Moderator([Crashing()], default_policy())
    d = m.check("我的秘密是13812345678")
    assert "13812345678" not in d.detectors_failed[0].error
    assert "13812345678" not in caplog.text
