"""The streaming moderation window: text reaches the client only after the window holding it was checked.

:class:`StreamGuard` collects the generated deltas and holds them back until a sentence ends (。！？!?；;… a
newline, or ". ") or ``holdback_chars`` are pending. The pending segment is then checked together with the last
``overlap_chars`` characters of already-released text, so harm split across windows (or across SSE chunks) is
still seen whole. Pass and review release the segment; redact releases the masked segment; block stops the
stream for good.
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from hegui.core.types import Action, Decision

__all__ = ["StreamGuard", "StreamStep", "most_severe"]

_BOUNDARY: Final = frozenset("。！？!?；;\n…．")
_CLOSING: Final = frozenset("”’\"')）」』】》]")
_SOFT: Final = frozenset("，,、：: \t")


def most_severe(decisions: Sequence[Decision]) -> Decision | None:
    """The decision with the most restrictive action (then the highest risk level); the first on ties."""
    best: Decision | None = None
    for d in decisions:
        if best is None or (d.action, d.risk_level) > (best.action, best.risk_level):
            best = d
    return best


@dataclass(frozen=True)
class StreamStep:
    """What one :meth:`StreamGuard.feed` / :meth:`StreamGuard.finish` call allows.

    ``release``: checked text that may go to the client now ("" if none). It can be non-empty even when
    ``stopped`` is true: then it is text checked (and passed) *before* the window that was blocked, and it is
    safe to send before the refusal. ``decision``: the most severe decision of the checks run in this step
    (None if no check ran); ``decisions``: all of them, in order. ``stopped``: a check said block: end the
    stream (with ``decision.replacement`` and ``finish_reason: "content_filter"``); nothing more is released.
    """

    release: str
    decision: Decision | None
    stopped: bool
    decisions: tuple[Decision, ...] = field(default=())


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _redacted_part(window: str, start: int, redacted: str) -> str:
    """The part of ``redacted`` (a masked copy of ``window``) that corresponds to ``window[start:]``."""
    if redacted.startswith(window[:start]):
        return redacted[start:]
    # a masked span reaches into the already-released overlap: align the two texts
    matcher = difflib.SequenceMatcher(None, window, redacted, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 <= start and not (tag == "insert" and i1 == start):
            continue
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            return redacted[j1 + max(0, start - i1) :]
        # a label replacing a span that straddles the boundary: keep the whole label
        return redacted[j1:]
    return ""


class StreamGuard:
    """Checks a generated text stream window by window; never releases text that was not checked.

    ``check(text)`` moderates one window (``stage=stream_chunk`` or ``output``) and returns its decision.
    ``checks`` and ``checked_chars`` count the calls made and the characters checked (overlap included).
    If ``check`` raises, the exception propagates and the pending text stays unreleased.
    A ``redact`` decision without a ``replacement`` cannot be applied here and is treated as block.
    """

    def __init__(
        self,
        check: Callable[[str], Awaitable[Decision]],
        *,
        holdback_chars: int = 120,
        overlap_chars: int = 48,
    ) -> None:
        if holdback_chars < 1:
            raise ValueError("holdback_chars must be at least 1")
        if overlap_chars < 0:
            raise ValueError("overlap_chars must not be negative")
        self._check = check
        self.holdback_chars = holdback_chars
        self.overlap_chars = overlap_chars
        self._pending = ""
        self._tail = ""  # the last overlap_chars characters of released text
        self._stopped = False
        self.checks = 0
        self.checked_chars = 0
        self.released_chars = 0
        self.decisions: list[Decision] = []  # every decision, in order

    @property
    def stopped(self) -> bool:
        return self._stopped

    @property
    def pending(self) -> int:
        """Characters received but not yet released."""
        return len(self._pending)

    async def feed(self, delta: str) -> StreamStep:
        """Add generated text; returns what may be released now."""
        if self._stopped:
            return StreamStep("", None, True)
        if delta:
            self._pending += delta
        return await self._drain(final=False)

    async def finish(self) -> StreamStep:
        """The upstream stream ended: check and release the rest."""
        if self._stopped:
            return StreamStep("", None, True)
        return await self._drain(final=True)

    # ---------------------------------------------------------------------------------------------

    def _next_cut(self, final: bool) -> int:
        """Length of the next segment to check (0: keep waiting)."""
        p = self._pending
        if not p:
            return 0
        limit = self.holdback_chars
        head = p[:limit]
        cut = 0
        for i, ch in enumerate(head):
            if ch in _BOUNDARY or (ch == "." and i + 1 < len(p) and p[i + 1].isspace()):
                cut = i + 1
        if cut:
            # take trailing closing quotes/brackets and further boundary marks (。” ！？ ……) along
            while cut < len(p) and (p[cut] in _CLOSING or p[cut] in _BOUNDARY):
                cut += 1
            return cut
        if len(p) >= limit:
            return self._soft_cut(p)
        return len(p) if final else 0

    def _soft_cut(self, p: str) -> int:
        """Where to cut ``holdback_chars`` of text without a sentence end: after a comma or space if there is
        one in the second half of the window, else not inside a run of ASCII letters and digits (so an ID or
        phone number is not split between two windows) if possible, else at the limit."""
        limit = self.holdback_chars
        for i in range(limit, limit // 2, -1):
            if p[i - 1] in _SOFT:
                return i
        for i in range(limit, 0, -1):
            if not (i < len(p) and _is_ascii_alnum(p[i - 1]) and _is_ascii_alnum(p[i])):
                return i
        return limit

    async def _drain(self, *, final: bool) -> StreamStep:
        released: list[str] = []
        decisions: list[Decision] = []
        while (cut := self._next_cut(final)) > 0:
            segment = self._pending[:cut]
            window = self._tail + segment
            decision = await self._check(window)
            self.checks += 1
            self.checked_chars += len(window)
            decisions.append(decision)
            self.decisions.append(decision)
            if decision.action is Action.BLOCK or (decision.action is Action.REDACT and decision.replacement is None):
                self._stopped = True
                self._pending = ""
                break
            if decision.action is Action.REDACT:
                assert decision.replacement is not None
                out = _redacted_part(window, len(self._tail), decision.replacement)
            else:
                out = segment
            self._pending = self._pending[cut:]
            released.append(out)
            self.released_chars += len(out)
            if self.overlap_chars:
                self._tail = (self._tail + out)[-self.overlap_chars :]
        return StreamStep("".join(released), most_severe(decisions), self._stopped, tuple(decisions))
