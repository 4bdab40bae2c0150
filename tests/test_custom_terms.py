"""The console's custom word library: the run-time overlay detector and the store-backed service (issue 10)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, inspect

import pg
from hegui.core.errors import LexiconError
from hegui.core.types import Severity
from hegui.detectors.lexicon.custom import CustomTerm, CustomTermsDetector
from hegui.services.lexicon import CustomEntry, LexiconEntryError, LexiconService
from hegui.store import make_engine, upgrade

pg_url = pg.pg_url
store_url = pg.store_url

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TERM = "蓝色独角鲸计划"


# -- detector ------------------------------------------------------------------------------------------


def test_empty_detector_matches_nothing_fast() -> None:
    d = CustomTermsDetector()
    assert d.name == "custom_terms" and d.size == 0
    text = "请介绍一下蓝色独角鲸计划" * 50
    t0 = time.perf_counter()
    for _ in range(1000):
        assert d.detect(text) == []
    assert (time.perf_counter() - t0) / 1000 < 50e-6


def test_matches_on_normalised_text_like_the_lexicon() -> None:
    d = CustomTermsDetector([CustomTerm(TERM, "A1.1", "high")])
    text = "请介绍一下蓝色 独角鲸计划吧"  # a space inside the term is normalised away
    [f] = d.detect(text)
    assert (f.detector, f.risk, f.severity, f.kind, f.evidence) == ("custom_terms", "A1.1", Severity.HIGH, "term", TERM)
    assert f.span is not None and text[f.span.start:f.span.end].replace(" ", "") == TERM
    assert d.detect("蓝色的独角兽") == []


def test_replace_swaps_and_allow_suppresses() -> None:
    d = CustomTermsDetector()
    d.replace([CustomTerm(TERM, "A1.1", "high"), CustomTerm(TERM + "书评", allow=True)])
    assert d.size == 2
    assert len(d.detect("关于" + TERM)) == 1
    assert d.detect("关于" + TERM + "书评") == []  # the allow phrase covers the term
    d.replace([])
    assert d.detect("关于" + TERM) == []


def test_replace_with_a_bad_entry_keeps_the_old_set() -> None:
    d = CustomTermsDetector([CustomTerm(TERM, "A1.1", "high")])
    with pytest.raises(LexiconError):
        d.replace([CustomTerm("另一个词", "A1.1", "nonsense")])
    assert len(d.detect(TERM)) == 1


def test_replace_is_safe_under_concurrent_detect() -> None:
    d = CustomTermsDetector([CustomTerm(TERM, "A1.1", "high")])
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                found = d.detect("请介绍一下" + TERM)
                assert len(found) in (0, 1)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for th in threads:
        th.start()
    t0 = time.perf_counter()
    for i in range(20):
        d.replace([CustomTerm(TERM, "A1.1", "high")] if i % 2 else [])
    per_replace = (time.perf_counter() - t0) / 20
    stop.set()
    for th in threads:
        th.join()
    assert not errors
    assert per_replace < 0.05


# -- service -------------------------------------------------------------------------------------------


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    e = make_engine(store_url)
    upgrade(e)
    assert "lexicon_entries" in set(inspect(e).get_table_names())
    yield e
    e.dispose()


def test_service_add_remove_list_version_and_listener(engine: Engine) -> None:
    events: list[tuple[str, dict[str, Any]]] = []
    seen: list[list[CustomEntry]] = []
    svc = LexiconService(engine, on_event=lambda k, p: events.append((k, p)), clock=Clock(T0))
    det = CustomTermsDetector()

    def listen(entries: list[CustomEntry]) -> None:
        seen.append(entries)
        det.replace(entries)

    svc.set_listener(listen)
    assert svc.list() == [] and svc.version() == 0

    e = svc.add(f"  {TERM} ", risk_code=" A1.1 ", severity="high", actor="root", note="test")
    assert (e.term, e.risk_code, e.severity, e.allow, e.added_by, e.added_at) == (TERM, "A1.1", "high", False, "root", T0)
    assert svc.version() == 1 and [x.id for x in svc.list()] == [e.id]
    assert len(det.detect("请介绍一下" + TERM)) == 1
    assert seen[-1][0].id == e.id

    a = svc.add("白名单短语", risk_code="", severity="", allow=True, actor="root")
    assert a.allow and a.risk_code == "allow"
    assert svc.version() == 2

    svc.remove(e.id, actor="root")
    assert svc.version() == 3
    assert [x.id for x in svc.list()] == [a.id]
    hist = svc.list(history=True)
    assert {x.id for x in hist} == {e.id, a.id}
    removed = next(x for x in hist if x.id == e.id)
    assert removed.removed_by == "root" and removed.removed_at == T0
    assert det.detect("请介绍一下" + TERM) == []

    kinds = [k for k, _ in events]
    assert kinds == ["lexicon.added", "lexicon.added", "lexicon.removed"]
    assert all(TERM not in str(p) for _, p in events)  # ids and codes, never the term

    # a removed term may be added again
    again = svc.add(TERM, risk_code="A1.1", severity="medium", actor="root")
    assert again.id != e.id and svc.version() == 4


def test_service_refusals(engine: Engine) -> None:
    svc = LexiconService(engine, clock=Clock(T0))
    svc.add(TERM, risk_code="A1.1", severity="high", actor="root")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"term": "   ", "risk_code": "A1.1", "severity": "high"}, "empty_term"),
        ({"term": "长" * 101, "risk_code": "A1.1", "severity": "high"}, "term_too_long"),
        ({"term": "蓝色 独角鲸计划", "risk_code": "A1.1", "severity": "low"}, "duplicate_term"),  # same normalised
        ({"term": "别的词", "risk_code": "Z9.9", "severity": "high"}, "bad_risk_code"),
        ({"term": "别的词", "risk_code": "A1.1", "severity": "extreme"}, "bad_severity"),
        ({"term": "甲&乙", "risk_code": "A1.1", "severity": "high"}, "bad_term"),
    ]
    for kw, code in cases:
        with pytest.raises(LexiconEntryError) as ei:
            svc.add(kw.pop("term"), actor="root", **kw)
        assert ei.value.code == code
        assert ei.value.zh and ei.value.en
    with pytest.raises(LexiconEntryError) as ei:
        svc.remove("nope", actor="root")
    assert ei.value.status == 404
    assert svc.version() == 1
