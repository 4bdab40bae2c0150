"""Shared parts of the console's browser tests: the gateway app served in-process in front of a fake upstream,
with console users, Debian's chromium through Playwright (never a downloaded browser), and page helpers."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai

from fake_upstream import FakeUpstream, ServerThread
from hegui.gateway.app import create_app
from hegui.gateway.settings import load_settings

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HAVE_CHROMIUM = Path(CHROMIUM).exists()


@contextlib.contextmanager
def console_app(tmp: Path, users: dict[str, tuple[str, str]]) -> Iterator[tuple[Any, str, FakeUpstream]]:
    """The gateway (with its console) in front of a fake upstream; ``users``: username -> (password, role)."""
    fake = FakeUpstream()
    with ServerThread(fake.app) as up:
        cfg = tmp / "hegui.yaml"
        cfg.write_text(f"upstreams: [{{name: fake, base_url: '{up.url}/v1', models: [fake]}}]\n", encoding="utf-8")
        settings = load_settings(cfg, env={"HEGUI_DATA_DIR": str(tmp / ".hegui")})
        app = create_app(settings)
        with ServerThread(app) as srv:
            for name, (password, role) in users.items():
                app.state.hegui.services.console.create_user(name, password, role)
            yield app, srv.url, fake


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def login(page: Any, base: str, username: str, password: str) -> Any:
    page.goto(f"{base}/console/login?lang=en")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("#login-submit")
    assert page.url.endswith("/console/"), page.url
    return page


def chat(url: str, text: str, user: str) -> Any:
    c = openai.OpenAI(base_url=url + "/v1", api_key="demo", max_retries=0)
    return c.chat.completions.create(model="fake", messages=[{"role": "user", "content": text}], user=user)


def csrf_of(page: Any) -> str:
    token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token']")
    assert isinstance(token, str) and token
    return token


def form_csrf(html: str) -> str:
    """The CSRF token of the first form on a console page (the ``csrf`` hidden field)."""
    import re

    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m is not None, "no csrf field on the page"
    return m.group(1)


def http_login(base: str, username: str, password: str) -> Any:
    """A plain HTTP client (httpx) signed in to the console by the login form; ``.csrf`` holds the session's
    CSRF token for POSTs (form field ``csrf``). Close it when done."""
    import httpx

    c = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    page = c.get("/console/login?lang=en")
    r = c.post("/console/login", data={"csrf": form_csrf(page.text), "username": username, "password": password})
    assert r.status_code == 303 and r.headers["location"].endswith("/console/"), (r.status_code, r.text[:300])
    c.csrf = form_csrf(c.get("/console/").text)  # type: ignore[attr-defined]
    return c
