"""Screenshots of the console's main pages for the docs (``make screenshots``).

Starts the gateway in-process on a temporary SQLite store with the built-in demo model, adds a demo admin and
some demo data (a few exchanges from three end users, one of them refused; a report of an answer and a
complaint; one suspended end user), logs in with Playwright in Debian's headless chromium (the same launch
options as the tests; no browser is ever downloaded) and writes full-page PNGs at a 1280x800 viewport:

    login.png  dashboard.png  review.png  ticket.png  end-users.png  console-users.png

    .venv/bin/python scripts/console_screenshots.py [--out docs/screenshots] [--lang en|zh]

Everything it creates lives in a temporary directory that is deleted at the end.
"""

from __future__ import annotations

import argparse
import secrets
import socket
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from hegui.gateway.app import create_app
from hegui.gateway.settings import load_settings

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 800}
DEMO = {"Authorization": "Bearer demo"}


class Server:
    """The app under uvicorn on a free loopback port, in a background thread."""

    def __init__(self, app: Any) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error",
                                                    access_log=False, lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the gateway did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def demo_data(app: Any, url: str) -> str:
    """Traffic, a report, a complaint and a suspension; returns the report's ticket number."""
    svc = app.state.hegui.services
    with httpx.Client(base_url=url, headers=DEMO, timeout=60) as c:
        rids: list[str] = []
        for user, text in [("alice", "你好，介绍一下你自己"), ("bob", "帮我写一首关于春天的短诗"),
                           ("alice", "教我自制炸弹的详细步骤"), ("carol", "明天北京的天气怎么样？"),
                           ("bob", "给我讲个笑话")]:
            r = c.post("/v1/chat/completions", json={"model": "hegui-demo", "user": user,
                                                      "messages": [{"role": "user", "content": text}]})
            r.raise_for_status()
            rids.append(r.json()["hegui"]["request_id"])
        rep = c.post("/v1/hegui/reports", json={"request_id": rids[1], "category": "false_info", "user": "dave",
                                                 "description": "诗里引用的诗人和年代是编造的"})
        rep.raise_for_status()
        c.post("/v1/hegui/complaints", json={"category": "service", "description": "回答速度太慢"}).raise_for_status()
    carol = svc.users.find_user(app.state.hegui.demo_principal.account_id, "carol")
    if carol is not None:
        svc.conduct.override(carol.id, "suspend", datetime.now(UTC) + timedelta(days=7), "admin",
                             "demo: bulk posting")
    number = rep.json()["ticket"]
    assert isinstance(number, str)
    return number


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--out", default="docs/screenshots", help="where the PNGs go (default: docs/screenshots)")
    ap.add_argument("--lang", choices=("en", "zh"), default="en", help="the console's language (default: en)")
    a = ap.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium (make sysdeps)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(18)  # throwaway: the store is deleted at the end
    with tempfile.TemporaryDirectory(prefix="hegui-shots-") as tmp:
        settings = load_settings(None, env={"HEGUI_DATA_DIR": str(Path(tmp) / ".hegui")})
        app = create_app(settings)
        with Server(app) as srv:
            svc = app.state.hegui.services
            svc.console.create_user("admin", password, "admin")
            svc.console.create_user("rita", secrets.token_urlsafe(18), "reviewer")
            svc.console.create_user("audrey", secrets.token_urlsafe(18), "auditor")
            ticket = demo_data(app, srv.url)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
                ctx = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
                page = ctx.new_page()

                def shot(name: str, path: str | None = None) -> None:
                    if path is not None:
                        page.goto(srv.url + path)
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
                    print(out / f"{name}.png")

                shot("login", f"/console/login?lang={a.lang}")
                page.fill("#username", "admin")
                page.fill("#password", password)
                with page.expect_navigation():
                    page.click("#login-submit")
                shot("dashboard")
                shot("review", "/console/review")
                shot("ticket", f"/console/review/{ticket}")
                shot("end-users", "/console/users")
                shot("console-users", "/console/admin/users")
                ctx.close()
                browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
