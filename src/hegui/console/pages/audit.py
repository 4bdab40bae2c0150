"""The audit log (admins and auditors): the signed head, the latest checkpoints, events by kind, the most recent
events (no payload texts), "verify now" (``hegui audit verify`` in the browser; audited as ``audit.verified``) and
the public key for verification elsewhere."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from dataclasses import dataclass
from typing import Any

from fastapi import Depends
from fastapi.responses import Response
from markupsafe import Markup

from hegui.console.i18n import t
from hegui.console.kit import PAGE, PREFIX, ConsoleKit, Ctx, Messages, page_number
from hegui.console.svg import bar_chart
from hegui.core.errors import HeguiError
from hegui.services import Services
from hegui.services.types import VerifyReport

AUDIT_ROLES: tuple[str, ...] = ("admin", "auditor")
KEY_FILENAME = "hegui-audit-public-key.pem"
_KIND_MAX = 32  # the store's column width


@dataclass(frozen=True)
class Verification:
    """One run of "verify now", as the page shows it."""

    report: VerifyReport
    seconds: float


def verify_now(svc: Services, actor: str) -> Verification:
    """Verify the whole chain (signatures with the local key, content-log bindings with the secret) and record
    the verification itself (``audit.verified``: actor, ok, events, problems; no details)."""
    t0 = time.perf_counter()
    report = svc.audit.verify(check_content=True)
    seconds = time.perf_counter() - t0
    svc.audit.append("audit.verified", {"actor": actor, "ok": report.ok, "events": report.events,
                                        "checkpoints": report.checkpoints, "problems": len(report.problems)})
    return Verification(report=report, seconds=seconds)


def audit_data(svc: Services, lang: str, page: int, kind: str | None) -> dict[str, Any]:
    with contextlib.suppress(Exception):  # a slow store: show what is committed
        svc.records.sync(timeout_s=2.0)
    counts = svc.audit.counts_by_kind()
    events = svc.audit.recent(PAGE + 1, page * PAGE, kind=kind)
    return {
        "head": svc.audit.head(),
        "checkpoints": svc.audit.checkpoints(10),
        "counts": counts,
        "total": sum(counts.values()),
        "chart": Markup(bar_chart(list(counts.items())[:15], title=t("audit.chart", lang),
                                  empty=t("audit.empty", lang), label_width=220)),
        "events": events[:PAGE],
        "page": page,
        "has_next": len(events) > PAGE,
        "kind": kind,
    }


def register(kit: ConsoleKit) -> None:
    app = kit.app
    reader = Depends(kit.require(AUDIT_ROLES))
    running = threading.Lock()  # one verification at a time: it reads the whole chain

    def audit_page(ctx: Ctx, status: int = 200, *, result: Verification | None = None,
                   messages: Messages | None = None) -> Response:
        kind = ctx.request.query_params.get("kind") or None
        if kind is not None and len(kind) > _KIND_MAX:
            kind = None
        data = audit_data(ctx.services, ctx.lang, page_number(ctx.request), kind)
        return kit.render(ctx, "audit.html.j2", status, result=result, messages=messages, key_filename=KEY_FILENAME,
                          **data)

    @app.get(f"{PREFIX}/audit", include_in_schema=False)
    async def audit(ctx: Ctx = reader) -> Response:
        return await asyncio.to_thread(audit_page, ctx)

    @app.post(f"{PREFIX}/audit/verify", include_in_schema=False)
    async def audit_verify(ctx: Ctx = reader) -> Response:
        if not running.acquire(blocking=False):
            return await asyncio.to_thread(audit_page, ctx, 429, messages=kit.both(ctx, "audit.busy"))
        try:
            result = await asyncio.to_thread(verify_now, ctx.services, ctx.username)
        except HeguiError as exc:
            return await asyncio.to_thread(audit_page, ctx, 503, messages=kit.problem(ctx, exc))
        finally:
            running.release()
        return await asyncio.to_thread(audit_page, ctx, result=result)

    @app.get(f"{PREFIX}/audit/public-key.pem", include_in_schema=False)
    async def audit_public_key(ctx: Ctx = reader) -> Response:
        try:
            pem = await asyncio.to_thread(ctx.services.audit.public_key_pem)
        except HeguiError as exc:
            first, second = kit.problem(ctx, exc)
            return kit.render(ctx, "error.html.j2", 503, first=first, second=second)
        resp = Response(pem, media_type="application/x-pem-file",
                        headers={"Content-Disposition": f'attachment; filename="{KEY_FILENAME}"'})
        return kit.finish(ctx, resp)
