"""Console users (admins only): list, create, disable."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from urllib.parse import quote

from fastapi.responses import Response

from hegui.console.i18n import both, t
from hegui.console.kit import PREFIX, ConsoleKit, Ctx, Messages, form_of
from hegui.services.console import ROLES, ConsoleError


def register(kit: ConsoleKit) -> None:
    app = kit.app

    def users_page(ctx: Ctx, status: int = 200, *, messages: Messages | None = None, ok: str | None = None,
                   form: dict[str, str] | None = None) -> Response:
        users = ctx.services.console.list_users()
        return kit.render(ctx, "users.html.j2", status, users=users, roles=ROLES, messages=messages, ok=ok,
                          form=form or {}, now=datetime.now(UTC))

    @app.get(f"{PREFIX}/admin/users", include_in_schema=False)
    async def users(ctx: Ctx = kit.admin) -> Response:
        created = ctx.request.query_params.get("created")
        ok = None
        if created and await asyncio.to_thread(ctx.services.console.get_user, created) is not None:
            ok = t("users.created_ok", ctx.lang, username=created)
        return await asyncio.to_thread(users_page, ctx, ok=ok)

    @app.post(f"{PREFIX}/admin/users", include_in_schema=False)
    async def create_user(ctx: Ctx = kit.admin) -> Response:
        form = await form_of(ctx.request)
        username, role = form.get("username", ""), form.get("role", "")
        password, password2 = form.get("password", ""), form.get("password2", "")
        keep = {"username": username[:64], "role": role}
        if password != password2:
            return await asyncio.to_thread(users_page, ctx, 400, messages=both("users.mismatch", ctx.lang), form=keep)
        assert ctx.user is not None
        try:
            made = await asyncio.to_thread(ctx.services.console.create_user, username, password, role,
                                           actor=ctx.user.id)
        except ConsoleError as exc:
            return await asyncio.to_thread(users_page, ctx, 400, messages=kit.problem(ctx, exc), form=keep)
        return kit.redirect(ctx, f"{PREFIX}/admin/users?created={quote(made.username)}")

    @app.post(f"{PREFIX}/admin/users/{{user_id}}/disable", include_in_schema=False)
    async def disable_user(user_id: str, ctx: Ctx = kit.admin) -> Response:
        assert ctx.user is not None
        if user_id == ctx.user.id:
            return kit.error_page(ctx, 400, "users.self")
        try:
            done = await asyncio.to_thread(ctx.services.console.disable, user_id, actor=ctx.user.id)
        except ConsoleError:
            return kit.error_page(ctx, 404, "err.not_found")
        if ctx.request.headers.get("HX-Request") == "true":
            return kit.render(ctx, "user_row.html.j2", u=done, now=datetime.now(UTC))
        return kit.redirect(ctx, f"{PREFIX}/admin/users")
