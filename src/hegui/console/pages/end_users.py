"""End users: verification, minor flag, opt-out, the sanction in force; admins suspend and lift."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.responses import Response

from hegui.console.i18n import both
from hegui.console.kit import ADMIN_ROLES, PAGE, PREFIX, ConsoleKit, Ctx, Messages, form_of, page_number
from hegui.core.errors import HeguiError
from hegui.services import Services

FLASH = {"suspended", "lifted"}


def register(kit: ConsoleKit) -> None:
    app = kit.app
    kit.flash_keys |= FLASH

    def end_users_data(svc: Services, page: int) -> dict[str, Any]:
        found = svc.users.list_users(limit=PAGE + 1, offset=page * PAGE)
        rules = svc.minors.rules
        today = datetime.now(ZoneInfo(rules.timezone)).date()
        rows = []
        for u in found[:PAGE]:
            minor = None
            if u.is_minor:  # minors' mode in force: the guardian's settings over the provider's defaults, today's use
                g = svc.minors.guardian_settings(u.id)
                minor = {
                    "quota": g.daily_quota_minutes if g is not None and g.daily_quota_minutes is not None
                    else rules.daily_quota_minutes,
                    "curfew": (f"{g.curfew_start}–{g.curfew_end}" if g is not None and g.curfew_start is not None
                               else f"{rules.curfew_start}–{rules.curfew_end}"),
                    "guardian": g is not None,
                    "used": math.ceil(svc.minors.usage(u.id, today) / 60),
                }
            rows.append((u, svc.conduct.current(u.id), minor))
        return {"rows": rows, "page": page, "has_next": len(found) > PAGE, "rules": rules}

    def end_users_page(ctx: Ctx, status: int = 200, *, messages: Messages | None = None) -> Response:
        data = end_users_data(ctx.services, page_number(ctx.request))
        return kit.render(ctx, "end_users.html.j2", status, messages=messages,
                          can_act=ctx.has_role(ADMIN_ROLES), **data)

    @app.get(f"{PREFIX}/users", include_in_schema=False)
    async def end_users(ctx: Ctx = kit.eu_reader) -> Response:
        return await asyncio.to_thread(end_users_page, ctx)

    async def sanction(ctx: Ctx, user_id: str, action: str) -> Response:
        assert ctx.user is not None
        form = await form_of(ctx.request)
        reason = form.get("reason", "").strip()[:1000]
        if not reason:
            return await asyncio.to_thread(end_users_page, ctx, 400, messages=both("err.reason_required", ctx.lang))
        until = None
        if action == "suspend":
            try:
                days = int(form.get("days", ""))
            except ValueError:
                days = 0
            if not 1 <= days <= 3650:
                return await asyncio.to_thread(end_users_page, ctx, 400, messages=both("err.days", ctx.lang))
            until = datetime.now(UTC) + timedelta(days=days)
        svc = ctx.services
        if len(user_id) > 64 or await asyncio.to_thread(svc.users.get_user, user_id) is None:
            return kit.error_page(ctx, 404, "err.not_found")
        try:
            await asyncio.to_thread(svc.conduct.override, user_id, action, until, ctx.user.username, reason)
        except HeguiError as exc:
            return await asyncio.to_thread(end_users_page, ctx, 409, messages=kit.problem(ctx, exc))
        return kit.redirect(ctx, f"{PREFIX}/users?done={'suspended' if action == 'suspend' else 'lifted'}")

    @app.post(f"{PREFIX}/users/{{user_id}}/suspend", include_in_schema=False)
    async def suspend_user(user_id: str, ctx: Ctx = kit.admin) -> Response:
        return await sanction(ctx, user_id, "suspend")

    @app.post(f"{PREFIX}/users/{{user_id}}/lift", include_in_schema=False)
    async def lift_user(user_id: str, ctx: Ctx = kit.admin) -> Response:
        return await sanction(ctx, user_id, "none")
