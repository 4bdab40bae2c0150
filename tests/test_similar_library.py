"""The console's similar-text library (``SimilarLibraryService``) on SQLite and PostgreSQL, kept in step with a live
``SimilarTextDetector`` through ``DetectorSync``; and the word library's history (``LexiconService.history``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, inspect

import pg
from hegui.detectors.similar.detector import SimilarTextDetector
from hegui.services.lexicon import LexiconService
from hegui.services.similar_library import DetectorSync, LibraryEntry, SimilarEntryError, SimilarLibraryService
from hegui.store import make_engine, upgrade

pg_url = pg.pg_url
store_url = pg.store_url

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
TEXT = "紫色章鱼联盟将于下周三在月球背面秘密集会并发布行动纲领"
PARAPHRASE = "请问：紫色章鱼联盟将于下周三在月球背面秘密集会，并发布行动纲领吗？"
WHITE = "这是一段关于月球背面天文观测的科普文字，介绍射电望远镜的选址"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    e = make_engine(store_url)
    upgrade(e)
    assert "similar_entries" in set(inspect(e).get_table_names())
    yield e
    e.dispose()


def _detector() -> SimilarTextDetector:
    d = SimilarTextDetector()
    d.load()
    # an entry of another origin (a confirmed report) that the console's sync must leave alone
    d.add("另一条被举报并确认的回答文本，内容与本测试的其他条目完全无关", kind="black", risk="A1.2", severity="high",
          id="case-1-answer", source="case:1")
    return d


def test_add_remove_list_version_history_and_live_detector(engine: Engine) -> None:
    events: list[tuple[str, dict[str, Any]]] = []
    seen: list[list[LibraryEntry]] = []
    svc = SimilarLibraryService(engine, on_event=lambda k, p: events.append((k, p)), clock=Clock(T0))
    det = _detector()
    sync = DetectorSync(det)
    sync(svc.list())
    svc.add_listener(sync)
    svc.add_listener(seen.append)
    assert svc.list() == [] and svc.version() == 0 and svc.history() == []
    assert det.detect(TEXT) == []

    e = svc.add(f"  {TEXT}\n", kind="black", risk_code=" A.1.a ", severity="high", actor="root", note="made up")
    assert (e.text, e.kind, e.risk_code, e.severity, e.note, e.added_by) == (TEXT, "black", "A1.1", "high",
                                                                            "made up", "root")
    assert e.detector_id == f"con-{e.id}" and e.active
    assert svc.version() == 1 and [x.id for x in svc.list()] == [e.id] and svc.get(e.id) == e
    assert seen[-1] == [e]
    found = det.detect(TEXT)
    assert [(f.risk, f.evidence) for f in found] == [("A1.1", f"black:con-{e.id}")]
    assert det.detect(PARAPHRASE), "a close paraphrase matches too"
    got = det.get(f"con-{e.id}")
    assert got is not None and got.source == "console"

    w = svc.add(WHITE, kind="white", risk_code="A1.1", severity="high", actor="root")
    assert (w.kind, w.risk_code, w.severity) == ("white", None, "low")  # white: no risk, severity unused
    s = svc.add("可疑文本：关于某种未经证实的保健品能够治愈所有疾病的宣传", kind="suspect", risk_code="A5.1",
                severity="low", actor="ann")
    assert svc.version() == 3
    assert {x.id for x in det.entries() if x.id.startswith("con-")} == {f"con-{x.id}" for x in (e, w, s)}

    removed = svc.remove(e.id, actor="ann")
    assert removed.removed_by == "ann" and removed.removed_at is not None and not removed.active
    assert svc.version() == 4 and [x.id for x in svc.list()] == [w.id, s.id]
    assert det.detect(TEXT) == [] and det.get(f"con-{e.id}") is None
    assert det.get("case-1-answer") is not None  # other origins untouched
    stored = svc.get(e.id)
    assert stored is not None and not stored.active

    hist = svc.history()
    assert [(h.version, h.action, h.entry.id, h.actor) for h in hist] == [
        (4, "removed", e.id, "ann"), (3, "added", s.id, "ann"), (2, "added", w.id, "root"), (1, "added", e.id, "root")]
    assert hist[0].at == removed.removed_at and hist[-1].at == e.added_at
    page2 = svc.history(limit=2, offset=2)
    assert [(h.version, h.entry.id) for h in page2] == [(2, w.id), (1, e.id)]

    kinds = [k for k, _ in events]
    assert kinds == ["similar.added", "similar.added", "similar.added", "similar.removed"]
    assert events[0][1] == {"entry_id": e.id, "kind": "black", "risk_code": "A1.1", "severity": "high",
                            "actor": "root"}
    assert all(TEXT not in str(p) and WHITE not in str(p) and "made up" not in str(p) for _, p in events)

    # a removed text may be added again (a new entry, a new detector id)
    again = svc.add(TEXT, kind="suspect", risk_code="A1.1", severity="low", actor="root")
    assert again.id != e.id and svc.version() == 5
    assert [f.evidence for f in det.detect(TEXT)] == [f"suspect:con-{again.id}"]

    # a fresh detector (a restart) loads the active entries, and a stale console entry is dropped
    det2 = _detector()
    det2.add("一条早已从控制台删除的旧条目文本，不应在重启后出现", kind="black", risk="A1.1", id="con-stale")
    DetectorSync(det2)(svc.list())
    assert {x.id for x in det2.entries()} == {"case-1-answer", f"con-{w.id}", f"con-{s.id}", f"con-{again.id}"}

    svc.remove_listener(sync)
    svc.remove(again.id, actor="root")
    assert det.detect(TEXT), "an unregistered listener is no longer called"


def test_refusals(engine: Engine) -> None:
    svc = SimilarLibraryService(engine, clock=Clock(T0))
    svc.add(TEXT, kind="black", risk_code="A1.1", severity="high", actor="root")
    cases: list[tuple[dict[str, Any], str, int]] = [
        ({"text": "   ", "kind": "black", "risk_code": "A1.1", "severity": "high"}, "empty_text", 400),
        ({"text": "！！，。。 ", "kind": "black", "risk_code": "A1.1", "severity": "high"}, "empty_text", 400),
        ({"text": "长" * 2001, "kind": "black", "risk_code": "A1.1", "severity": "high"}, "text_too_long", 400),
        ({"text": "别的文本", "kind": "grey", "risk_code": "A1.1", "severity": "high"}, "bad_kind", 400),
        ({"text": "别的文本", "kind": "black", "risk_code": "", "severity": "high"}, "risk_required", 400),
        ({"text": "别的文本", "kind": "suspect", "risk_code": None, "severity": "low"}, "risk_required", 400),
        ({"text": "别的文本", "kind": "black", "risk_code": "Z9.9", "severity": "high"}, "bad_risk_code", 400),
        ({"text": "别的文本", "kind": "black", "risk_code": "A1.1", "severity": "extreme"}, "bad_severity", 400),
        ({"text": "别的文本", "kind": "black", "risk_code": "A1.1", "severity": "high", "note": "n" * 501},
         "note_too_long", 400),
        ({"text": "甲\x00乙", "kind": "black", "risk_code": "A1.1", "severity": "high"}, "bad_text", 400),
        # the same text after normalisation (width, punctuation, spaces), whatever the kind
        ({"text": f" {TEXT[:5]}，{TEXT[5:]}！", "kind": "white", "risk_code": "", "severity": ""},
         "duplicate_text", 409),
    ]
    for kw, code, status in cases:
        with pytest.raises(SimilarEntryError) as ei:
            svc.add(kw.pop("text"), actor="root", **kw)
        assert (ei.value.code, ei.value.status) == (code, status)
        assert ei.value.zh and ei.value.en and ei.value.zh != ei.value.en
    assert svc.add("长" * 2000, kind="white", risk_code="", severity="", actor="root").kind == "white"
    for bad in ("nope", "x" * 100):
        with pytest.raises(SimilarEntryError) as ei:
            svc.remove(bad, actor="root")
        assert ei.value.status == 404
    first = svc.list()[0]
    svc.remove(first.id, actor="root")
    with pytest.raises(SimilarEntryError) as ei:
        svc.remove(first.id, actor="root")  # already removed
    assert ei.value.code == "entry_not_found"
    assert svc.version() == 3


def test_lexicon_history(engine: Engine) -> None:
    svc = LexiconService(engine, clock=Clock(T0))
    assert svc.history() == []
    a = svc.add("蓝色独角鲸计划", risk_code="A1.1", severity="high", actor="root")
    b = svc.add("白名单短语", risk_code="", severity="", allow=True, actor="ann")
    svc.remove(a.id, actor="ann")
    c = svc.add("蓝色独角鲸计划", risk_code="A1.1", severity="medium", actor="root")
    hist = svc.history()
    assert [(h.version, h.action, h.entry.id, h.actor) for h in hist] == [
        (4, "added", c.id, "root"), (3, "removed", a.id, "ann"), (2, "added", b.id, "ann"), (1, "added", a.id, "root")]
    assert svc.version() == hist[0].version
    assert hist[1].entry.removed_at == hist[1].at and hist[1].entry.term == "蓝色独角鲸计划"
    assert [h.version for h in svc.history(limit=1, offset=3)] == [1]
    assert svc.history(limit=10, offset=10) == []


def test_console_keys_of_these_pages_exist_in_both_languages() -> None:
    """The keys the similar and policy templates build at render time (``_("sim.kind." ~ kind)`` ...)."""
    from hegui.console.i18n import MESSAGES
    from hegui.core.types import Action, Severity

    keys = [f"sim.kind.{k}" for k in ("black", "suspect", "white")]
    keys += [f"sim.origin.{o}" for o in ("shipped", "reports", "console")]
    keys += [f"sim.role.{r}" for r in ("answer", "prompt")]
    keys += [f"pol.act.{a.value}" for a in Action] + [f"pol.sev.{s.value}" for s in Severity]
    keys += [f"pol.fail.{f}" for f in ("closed", "open")] + ["flash.sim_added", "flash.sim_removed"]
    for key in keys:
        zh, en = MESSAGES[key]
        assert zh.strip() and en.strip() and zh != en, key
