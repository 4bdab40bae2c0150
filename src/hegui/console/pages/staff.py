"""Console users (admins only): list, create, change a role, disable, enable, unlock, reset a password; and every
user's own account page (change my password, my sessions). The rules live in
:class:`~hegui.services.console.ConsoleService` (password policy, the last enabled admin, ending sessions), which
audits every change (``console.user_changed``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import quote

from fastapi.responses import Response

from hegui.console.i18n import both, t
from hegui.console.kit import PREFIX, ConsoleKit, Ctx, Messages, form_of
from hegui.services.console import ROLES, ConsoleError, ConsoleUserInfo

FLASH = {"staff_role", "staff_enabled", "staff_unlocked", "staff_password", "account_password"}
_ID_MAX = 64


def register(kit: ConsoleKit) -> None:
    app = kit.app
    kit.flash_keys |= FLASH

    def users_page(ctx: Ctx, status: int = 200, *, messages: Messages | None = None, ok: str | None = None,
                   form: dict[str, str] | None = None) -> Response:
        users = ctx.services.console.list_users()
        return kit.render(ctx, "users.html.j2", status, users=users, roles=ROLES, messages=messages, ok=ok,
                          form=form or {}, now=datetime.now(UTC))

    @app.get(f"{PREFIX}/admin/users", include_in_schema=False)
    async def users(ctx: Ctx = kit.admin) -> Response:
        created = ctx.request.query_params.get("created")
        ok = None
        if created and await asyncio.to_thread(ctx.services.console.get_user, created[:_ID_MAX]) is not None:
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
        if len(user_id) > _ID_MAX or await asyncio.to_thread(ctx.services.console.get_user, user_id) is None:
            return kit.error_page(ctx, 404, "err.not_found")
        try:
            done = await asyncio.to_thread(ctx.services.console.disable, user_id, actor=ctx.user.id)
        except ConsoleError as exc:
            return await asyncio.to_thread(users_page, ctx, 400, messages=kit.problem(ctx, exc))
        if ctx.request.headers.get("HX-Request") == "true":
            return kit.render(ctx, "user_row.html.j2", u=done, roles=ROLES, now=datetime.now(UTC))
        return kit.redirect(ctx, f"{PREFIX}/admin/users")

    async def change(ctx: Ctx, user_id: str, done: str,
                     act: Callable[[ConsoleUserInfo, str], object]) -> Response:
        """One admin action on a console user through the service (it audits), then the list with a flash
        message; a refused action shows the list with the reason in both languages."""
        assert ctx.user is not None
        actor = ctx.user.id
        target = None if len(user_id) > _ID_MAX else await asyncio.to_thread(ctx.services.console.get_user, user_id)
        if target is None or target.id != user_id:
            return kit.error_page(ctx, 404, "err.not_found")
        try:
            await asyncio.to_thread(act, target, actor)
        except ConsoleError as exc:
            return await asyncio.to_thread(users_page, ctx, 400, messages=kit.problem(ctx, exc))
        return kit.redirect(ctx, f"{PREFIX}/admin/users?done={done}")

    @app.post(f"{PREFIX}/admin/users/{{user_id}}/role", include_in_schema=False)
    async def set_role(user_id: str, ctx: Ctx = kit.admin) -> Response:
        role = (await form_of(ctx.request)).get("role", "")[:32]
        return await change(ctx, user_id, "staff_role",
                            lambda u, actor: ctx.services.console.set_role(u.id, role, actor=actor))

    @app.post(f"{PREFIX}/admin/users/{{user_id}}/enable", include_in_schema=False)
    async def enable_user(user_id: str, ctx: Ctx = kit.admin) -> Response:
        return await change(ctx, user_id, "staff_enabled",
                            lambda u, actor: ctx.services.console.enable(u.id, actor=actor))

    @app.post(f"{PREFIX}/admin/users/{{user_id}}/unlock", include_in_schema=False)
    async def unlock_user(user_id: str, ctx: Ctx = kit.admin) -> Response:
        return await change(ctx, user_id, "staff_unlocked",
                            lambda u, actor: ctx.services.console.unlock(u.id, actor=actor))

    @app.post(f"{PREFIX}/admin/users/{{user_id}}/password", include_in_schema=False)
    async def reset_password(user_id: str, ctx: Ctx = kit.admin) -> Response:
        form = await form_of(ctx.request)
        password, password2 = form.get("password", ""), form.get("password2", "")
        if password != password2:
            return await asyncio.to_thread(users_page, ctx, 400, messages=both("users.mismatch", ctx.lang))
        assert ctx.session is not None
        mine = ctx.session.id

        def act(u: ConsoleUserInfo, actor: str) -> object:
            # an admin resetting their own password keeps the session they do it from
            return ctx.services.console.set_password(u.id, password, actor=actor,
                                                     keep_session=mine if u.id == actor else None)

        return await change(ctx, user_id, "staff_password", act)

    # ---------------------------------------------------------------------------------------------- my account
    def account_page(ctx: Ctx, status: int = 200, *, messages: Messages | None = None) -> Response:
        assert ctx.user is not None
        sessions = ctx.services.console.count_sessions(ctx.user.id)
        return kit.render(ctx, "account.html.j2", status, me=ctx.user, sessions=sessions, messages=messages)

    @app.get(f"{PREFIX}/account", include_in_schema=False)
    async def account(ctx: Ctx = kit.reader) -> Response:
        return await asyncio.to_thread(account_page, ctx)

    @app.post(f"{PREFIX}/account", include_in_schema=False)
    async def account_password(ctx: Ctx = kit.reader) -> Response:
        form = await form_of(ctx.request)
        current, new, new2 = form.get("current", ""), form.get("password", ""), form.get("password2", "")
        if new != new2:
            return await asyncio.to_thread(account_page, ctx, 400, messages=both("users.mismatch", ctx.lang))
        assert ctx.session is not None
        try:
            await asyncio.to_thread(ctx.services.console.change_password, ctx.session.user.id, current, new,
                                    keep_session=ctx.session.id)
        except ConsoleError as exc:
            return await asyncio.to_thread(account_page, ctx, 400, messages=kit.problem(ctx, exc))
        return kit.redirect(ctx, f"{PREFIX}/account?done=account_password")
