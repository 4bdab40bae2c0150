"""Console account management: the new ConsoleService rules (SQLite and PostgreSQL: a role or password change ends
the user's sessions, the last enabled admin stays, own password change, unlock, live sessions), and the pages over
plain HTTP (admin changes a role, resets a password, enables, unlocks; a user changes their own password)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

import pg
from console_helpers import HAVE_CHROMIUM, chromium, console_app, form_csrf, http_login, login
from hegui.console.kit import when
from hegui.services.console import ConsoleError, ConsoleService
from hegui.store import make_engine, upgrade

pg_url = pg.pg_url
store_url = pg.store_url

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PW = "correct horse battery staple"
FAST = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)

Events = list[tuple[str, dict[str, Any]]]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    e = make_engine(store_url)
    upgrade(e)
    yield e
    e.dispose()


def service(engine: Engine, events: Events, clock: Clock | None = None) -> ConsoleService:
    return ConsoleService(engine, on_event=lambda k, p: events.append((k, p)), clock=clock or Clock(T0),
                          hasher=FAST, lockout_after=2)


def test_role_change_ends_sessions_and_the_last_admin_stays(engine: Engine) -> None:
    events: Events = []
    svc = service(engine, events)
    a1 = svc.create_user("ann", PW, "admin")
    rev = svc.create_user("rey", PW, "reviewer", actor=a1.id)
    t_rev, _ = svc.create_session(rev.id)
    t_a1, _ = svc.create_session(a1.id)
    assert svc.count_sessions(rev.id) == 1
    svc.set_role(rev.id, "auditor", actor=a1.id)
    assert svc.get_session(t_rev) is None and svc.count_sessions(rev.id) == 0  # ended: next login, new rights
    got = svc.get_user("rey")
    assert got is not None and got.role == "auditor"
    # the only enabled admin cannot demote or disable themselves (nor be demoted by a console user)
    acts: list[Callable[[], object]] = [lambda: svc.set_role(a1.id, "reviewer", actor=a1.id),
                                        lambda: svc.disable(a1.id, actor=a1.id)]
    for act in acts:
        with pytest.raises(ConsoleError) as exc:
            act()
        assert "administrator" in exc.value.en and "管理员" in exc.value.zh
    still = svc.get_user(a1.id)
    assert still is not None and still.role == "admin" and not still.disabled
    assert svc.get_session(t_a1) is not None  # a refused change ends nothing
    # a disabled admin does not count; a second enabled admin does
    a2 = svc.create_user("bea", PW, "admin", actor=a1.id)
    svc.disable(a2.id, actor=a1.id)
    with pytest.raises(ConsoleError):
        svc.set_role(a1.id, "auditor", actor=a1.id)
    svc.enable(a2.id, actor=a1.id)
    svc.set_role(a1.id, "reviewer", actor=a1.id)
    assert svc.get_session(t_a1) is None
    with pytest.raises(ConsoleError):
        svc.disable(a2.id, actor=a2.id)
    svc.disable(a2.id)  # the command line (no actor) may: it can create an admin too
    changes = [(p["change"], p.get("sessions_ended")) for k, p in events if k == "console.user_changed"]
    assert changes == [("role", 1), ("disabled", 0), ("enabled", None), ("role", 1), ("disabled", 0)]
    assert all("actor" in p for k, p in events if k == "console.user_changed")


def test_own_password_change_unlock_and_sessions(engine: Engine) -> None:
    events: Events = []
    clock = Clock(T0)
    svc = service(engine, events, clock)
    u = svc.create_user("cat", PW, "reviewer")
    keep, s_keep = svc.create_session(u.id)
    other, _ = svc.create_session(u.id)
    assert svc.count_sessions(u.id) == 2
    with pytest.raises(ConsoleError) as exc:
        svc.change_password(u.id, "not the password", "a fresh long password")
    assert exc.value.zh and "current" in exc.value.en
    with pytest.raises(ConsoleError):
        svc.change_password(u.id, PW, PW)  # unchanged
    with pytest.raises(ConsoleError) as weak:
        svc.change_password(u.id, PW, "short")
    assert "12" in weak.value.en
    with pytest.raises(ConsoleError):
        svc.change_password(u.id, PW, "cat-and-more-letters")  # contains the username
    assert svc.count_sessions(u.id) == 2  # refused changes end nothing
    svc.change_password(u.id, PW, "a fresh long password", keep_session=s_keep.id)
    assert svc.get_session(keep) is not None and svc.get_session(other) is None
    assert svc.authenticate("cat", "a fresh long password").ok and not svc.authenticate("cat", PW).ok
    # lock-out (2 failures), then an admin unlocks before the time runs out
    assert svc.authenticate("cat", "wrong wrong wrong").reason == "locked"
    svc.unlock(u.id, actor="admin-id")
    got = svc.get_user(u.id)
    assert got is not None and got.locked_until is None and not got.is_locked(clock.now)
    assert svc.authenticate("cat", "a fresh long password").ok
    # an expired session is not live
    clock.now = T0 + timedelta(hours=9)
    assert svc.count_sessions(u.id) == 0
    kinds = [k for k, _ in events]
    assert "console.password_change_refused" in kinds
    changes = [p["change"] for k, p in events if k == "console.user_changed"]
    assert changes == ["password", "unlocked"]
    blob = json.dumps(events)
    assert PW not in blob and "a fresh long password" not in blob and keep not in blob


# ------------------------------------------------------------------------------------------------ over HTTP

USERS = {"boss": ("top-secret-pw-1", "admin"), "rita": ("red-secret-pw-2", "reviewer"),
         "otto": ("old-secret-pw-3", "auditor")}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    with console_app(tmp_path_factory.mktemp("staff"), USERS) as (app, base, _fake):
        yield app, base


def _uid(app: Any, name: str) -> str:
    u = app.state.hegui.services.console.get_user(name)
    assert u is not None
    return str(u.id)


def _changes(app: Any) -> list[dict[str, Any]]:
    return [json.loads(e) for e in _payloads(app, "console.user_changed")]


def _payloads(app: Any, kind: str) -> list[str]:
    from sqlalchemy import text

    with app.state.hegui.services.engine.connect() as c:
        return [p for (p,) in c.execute(text("SELECT payload FROM audit_events WHERE kind = :k ORDER BY seq"),
                                        {"k": kind})]


def test_admin_manages_console_users(server: tuple[Any, str]) -> None:
    app, base = server
    svc = app.state.hegui.services.console
    admin = http_login(base, "boss", USERS["boss"][0])
    rita = http_login(base, "rita", USERS["rita"][0])
    try:
        assert rita.get("/console/admin/users").status_code == 403
        page = admin.get("/console/admin/users?lang=en")
        assert page.status_code == 200 and 'data-username="rita"' in page.text
        boss = svc.get_user("boss")
        assert " UTC</td>" not in page.text and when(boss.created_at) in page.text  # China time, not UTC
        rid = _uid(app, "rita")
        # change rita's role: her session ends at once
        r = admin.post(f"/console/admin/users/{rid}/role", data={"csrf": admin.csrf, "role": "auditor"})
        assert r.status_code == 303 and r.headers["location"].endswith("done=staff_role")
        assert "Role changed" in admin.get(r.headers["location"]).text
        gone = rita.get("/console/review")
        assert gone.status_code == 303 and gone.headers["location"].endswith("/console/login")
        assert svc.get_user("rita").role == "auditor"
        last_change = _changes(app)[-1]
        assert (last_change["change"], last_change["role"], last_change["username"], last_change["actor"]) == (
            "role", "auditor", "rita", _uid(app, "boss"))
        # an unknown role, and the last admin demoting themselves: refused with the reason in both languages
        bad = admin.post(f"/console/admin/users/{rid}/role", data={"csrf": admin.csrf, "role": "king"})
        assert bad.status_code == 400 and "role must be one of" in bad.text and "角色须为" in bad.text
        me = _uid(app, "boss")
        last = admin.post(f"/console/admin/users/{me}/role", data={"csrf": admin.csrf, "role": "reviewer"})
        assert last.status_code == 400 and "last enabled administrator" in last.text and "最后一个" in last.text
        assert svc.get_user("boss").role == "admin"
        assert admin.post(f"/console/admin/users/{me}/disable", data={"csrf": admin.csrf}).status_code == 400
        # without the CSRF token: refused
        assert admin.post(f"/console/admin/users/{rid}/role", data={"role": "admin"}).status_code == 403
        # reset a password (typed twice; the policy applies)
        mismatch = admin.post(f"/console/admin/users/{rid}/password",
                              data={"csrf": admin.csrf, "password": "x" * 14, "password2": "y" * 14})
        assert mismatch.status_code == 400 and "do not match" in mismatch.text
        weak = admin.post(f"/console/admin/users/{rid}/password",
                          data={"csrf": admin.csrf, "password": "rita-123456789", "password2": "rita-123456789"})
        assert weak.status_code == 400 and "username" in weak.text
        ok = admin.post(f"/console/admin/users/{rid}/password",
                        data={"csrf": admin.csrf, "password": "another-secret-9", "password2": "another-secret-9"})
        assert ok.status_code == 303 and ok.headers["location"].endswith("done=staff_password")
        assert svc.authenticate("rita", "another-secret-9").ok
        # disable, then enable
        assert admin.post(f"/console/admin/users/{rid}/disable", data={"csrf": admin.csrf}).status_code == 303
        assert svc.get_user("rita").disabled
        page = admin.get("/console/admin/users?lang=en").text
        assert f"/console/admin/users/{rid}/enable" in page
        assert admin.post(f"/console/admin/users/{rid}/enable", data={"csrf": admin.csrf}).status_code == 303
        assert not svc.get_user("rita").disabled
        # lock otto out (5 failures), then unlock
        for _ in range(5):
            svc.authenticate("otto", "wrong password 123")
        oid = _uid(app, "otto")
        assert f"/console/admin/users/{oid}/unlock" in admin.get("/console/admin/users?lang=en").text
        un = admin.post(f"/console/admin/users/{oid}/unlock", data={"csrf": admin.csrf})
        assert un.status_code == 303 and svc.authenticate("otto", USERS["otto"][0]).ok
        assert admin.post("/console/admin/users/nobody/unlock", data={"csrf": admin.csrf}).status_code == 404
        kinds = [c["change"] for c in _changes(app)]
        assert kinds == ["role", "password", "disabled", "enabled", "unlocked"]
        blob = "".join(_payloads(app, "console.user_changed"))
        assert "another-secret-9" not in blob
    finally:
        admin.close()
        rita.close()


def test_user_changes_own_password(server: tuple[Any, str]) -> None:
    app, base = server
    svc = app.state.hegui.services.console
    svc.create_user("vera", "violet-secret-11", "reviewer")
    one = http_login(base, "vera", "violet-secret-11")
    two = http_login(base, "vera", "violet-secret-11")
    try:
        page = one.get("/console/account?lang=en")
        assert page.status_code == 200 and 'id="session-count">2<' in page.text
        wrong = one.post("/console/account", data={"csrf": one.csrf, "current": "not it at all",
                                                   "password": "violet-new-secret", "password2": "violet-new-secret"})
        assert wrong.status_code == 400 and "current password is wrong" in wrong.text and "当前密码不正确" in wrong.text
        mism = one.post("/console/account", data={"csrf": one.csrf, "current": "violet-secret-11",
                                                  "password": "new-secret-aaa", "password2": "new-secret-bbb"})
        assert mism.status_code == 400
        assert one.post("/console/account", data={"current": "violet-secret-11", "password": "new-secret-aaa",
                                                  "password2": "new-secret-aaa"}).status_code == 403  # no CSRF
        ok = one.post("/console/account", data={"csrf": one.csrf, "current": "violet-secret-11",
                                                "password": "new-secret-aaa", "password2": "new-secret-aaa"})
        assert ok.status_code == 303 and ok.headers["location"].endswith("done=account_password")
        after = one.get(ok.headers["location"])
        assert after.status_code == 200 and "other sessions have ended" in after.text
        assert 'id="session-count">1<' in after.text  # this one stays, the other one ended
        assert two.get("/console/account").status_code == 303
        assert svc.authenticate("vera", "new-secret-aaa").ok
        changed = _changes(app)[-1]
        assert changed["change"] == "password" and changed["actor"] == _uid(app, "vera")
        assert form_csrf(after.text) == one.csrf
    finally:
        one.close()
        two.close()


@pytest.mark.skipif(not HAVE_CHROMIUM, reason="Debian's chromium is not installed")
def test_browser_role_change_ends_the_session(server: tuple[Any, str]) -> None:
    """In Chromium: the admin changes a reviewer's role with the row's form; the reviewer's open page then leads to
    the login page. The staff, account, audit and reports pages raise no CSP violation."""
    app, base = server
    svc = app.state.hegui.services.console
    svc.create_user("walt", "winter-secret-77", "reviewer")
    with chromium() as browser:
        errors: list[str] = []
        actx, rctx = browser.new_context(), browser.new_context()
        try:
            admin, rev = actx.new_page(), rctx.new_page()
            for p in (admin, rev):
                p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            login(admin, base, "boss", USERS["boss"][0])
            login(rev, base, "walt", "winter-secret-77")
            rev.goto(f"{base}/console/account")
            assert rev.inner_text("#session-count") == "1"
            admin.goto(f"{base}/console/admin/users?lang=en")
            row = admin.locator('tr[data-username="walt"]')
            row.locator('select[name="role"]').select_option("auditor")
            with admin.expect_navigation():
                row.locator(".role-form button").click()
            assert "Role changed" in admin.inner_text("#flash")
            assert admin.get_attribute('tr[data-username="walt"]', "data-role") == "auditor"
            rev.goto(f"{base}/console/review")
            assert rev.url.endswith("/console/login?lang=en") or rev.url.endswith("/console/login"), rev.url
            for path in ("/console/audit", "/console/reports", "/console/account"):
                admin.goto(f"{base}{path}")
                assert admin.locator("h1").count() == 1
            assert not [e for e in errors if "Content Security Policy" in e], errors
        finally:
            actx.close()
            rctx.close()
