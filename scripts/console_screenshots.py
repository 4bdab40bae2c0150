"""Screenshots of the console's main pages for the docs (``make screenshots``).

Starts the gateway in-process on a temporary SQLite store with the built-in demo model, adds a demo admin and
some demo data (a few exchanges from three end users, one of them refused; a report of an answer and a
complaint; one suspended end user), logs in with Playwright in Debian's headless chromium (the same launch
options as the tests; no browser is ever downloaded) and writes full-page PNGs at a 1280x800 viewport:

    login.png  dashboard.png  flagged.png  moderation.png  moderation-entry.png  review.png  ticket.png
    remediation.png  remediation-case.png  privacy.png  end-users.png  lexicon.png  similar.png  policy.png
    audit.png  reports.png  console-users.png  account.png

    .venv/bin/python scripts/console_screenshots.py [--out docs/screenshots] [--lang en|zh]

Everything it creates lives in a temporary directory that is deleted at the end.
"""

from __future__ import annotations

import argparse
import re
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
from hegui.services import Services
from hegui.services.identity import FakeIdentityProvider

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


# a made-up term the demo adds to the word library at low severity: a prompt with it goes to review
REVIEW_TERM = "蓝色独角鲸计划"
ID17 = "11010519491231002"


def _shrink(path: Path) -> None:
    """Store the PNG with a 256-colour palette (no dithering: flat UI colours stay exact); a third of the size."""
    from PIL import Image

    with Image.open(path) as im:
        small = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def _id_number(first17: str) -> str:
    """A syntactically valid (made-up) resident ID number: GB 11643 check character."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def demo_data(app: Any, url: str) -> dict[str, str]:
    """Traffic (one exchange flagged for review), two reports (one confirmed: a remediation case), a complaint, a
    custom similar-text entry, a verified end user and a suspension. Returns ids the screenshots open."""
    from hegui.services.review import confirm_report

    svc = app.state.hegui.services
    svc.lexicon.add(REVIEW_TERM, risk_code="A1.1", severity="low", actor="admin", note="demo: watch list")
    svc.similar.add("这款保健品能包治百病，三天见效，无效退款", kind="black", risk_code="A3.5", severity="high",
                    actor="admin", note="demo: false advertising")
    with httpx.Client(base_url=url, headers=DEMO, timeout=60) as c:
        rids: list[str] = []
        for user, text in [("alice", "你好，介绍一下你自己"), ("bob", "帮我写一首关于春天的短诗"),
                           ("alice", "教我自制炸弹的详细步骤"), ("carol", "明天北京的天气怎么样？"),
                           ("bob", "给我讲个笑话"), ("dave", f"请介绍一下{REVIEW_TERM}"),
                           ("erin", "写一段关于长江的介绍")]:
            r = c.post("/v1/chat/completions", json={"model": "hegui-demo", "user": user,
                                                      "messages": [{"role": "user", "content": text}]})
            r.raise_for_status()
            rids.append(r.json()["hegui"]["request_id"])
        rep = c.post("/v1/hegui/reports", json={"request_id": rids[1], "category": "false_info", "user": "dave",
                                                 "description": "诗里引用的诗人和年代是编造的"})
        rep.raise_for_status()
        rep2 = c.post("/v1/hegui/reports", json={"request_id": rids[6], "category": "false_info", "user": "erin",
                                                  "description": "介绍里的长度数据是错的"})
        rep2.raise_for_status()
        c.post("/v1/hegui/complaints", json={"category": "service", "description": "回答速度太慢"}).raise_for_status()
        c.post("/v1/hegui/users", json={"external_id": "frank"}).raise_for_status()
        c.post("/v1/hegui/users/frank/verify",
               json={"name": "王小红", "id_number": _id_number(ID17)}).raise_for_status()
    _ticket, case = confirm_report(svc, rep2.json()["ticket"], reviewer="rita")
    carol = svc.users.find_user(app.state.hegui.demo_principal.account_id, "carol")
    if carol is not None:
        svc.conduct.override(carol.id, "suspend", datetime.now(UTC) + timedelta(days=7), "admin",
                             "demo: bulk posting")
    return {"ticket": str(rep.json()["ticket"]), "review_rid": rids[5], "case": case.id}


def demo_reports(url: str, reports: Path, tmp: Path) -> None:
    """An evaluation run (30 should-refuse and 30 should-not-refuse items of the shipped banks, through the demo
    gateway) and a corpus audit of a tiny corpus, where ``/console/reports`` looks."""
    from importlib import resources

    from hegui.corpus.audit import AuditOptions
    from hegui.corpus.engines import run_audit
    from hegui.evaluation.runner import RunOptions, run_eval

    banks = resources.files("hegui.evaluation").joinpath("data", "banks")
    lines: list[str] = []
    for name in ("should-refuse.jsonl", "should-not-refuse.jsonl"):
        lines += banks.joinpath(name).read_text(encoding="utf-8").splitlines()[:30]
    bank = tmp / "bank.jsonl"
    bank.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reports.mkdir(parents=True, exist_ok=True)
    run_eval(url, "hegui-demo", bank, reports / "demo-behind-hegui", api_key="demo",
             options=RunOptions(concurrency=4, retries=0, timeout=60, quiet=True, label="behind-hegui"))
    corpus = tmp / "corpus.jsonl"
    corpus.write_text("".join(
        f'{{"text": "{t}", "source": "{src}"}}\n' for t, src in [
            ("今天天气很好，我们去公园散步。", "web"), ("春节的传统习俗有很多，比如贴春联。", "web"),
            ("长江是中国最长的河流。", "encyclopedia"), ("黄河被称为中华民族的母亲河。", "encyclopedia"),
            ("我的手机号是13812345678，有事联系。", "forum")]), encoding="utf-8")
    run_audit([corpus], reports / "demo-corpus-audit", AuditOptions(full=True, source_field="source"), workers=1)


def privacy_request(url: str, password: str, account_id: str) -> str:
    """Record a blocking request received by letter, through the console's own form; returns its id."""
    with httpx.Client(base_url=url, timeout=60, follow_redirects=False) as c:
        token = re.search(r'name="csrf" value="([^"]+)"', c.get("/console/login").text)
        assert token is not None
        r = c.post("/console/login", data={"csrf": token.group(1), "username": "admin", "password": password})
        assert r.status_code == 303, r.status_code
        token = re.search(r'name="csrf" value="([^"]+)"', c.get("/console/privacy").text)
        assert token is not None
        r = c.post("/console/privacy", data={"csrf": token.group(1), "kind": "block", "account_id": account_id,
                                             "external_id": "frank", "name": "王小红",
                                             "id_number": _id_number(ID17)})
        assert r.status_code == 303, r.text[:500]
        return r.headers["location"].split("/console/privacy/")[1].split("?")[0]


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
        # demo only: a stand-in identity provider that knows the one made-up person the demo verifies
        demo_id = FakeIdentityProvider({("王小红", _id_number(ID17)): True})
        services = Services.open(settings.store_url, secret_key=settings.secret_key, data_dir=settings.data_dir,
                                 identity_provider=demo_id)
        app = create_app(settings, services=services)
        with Server(app) as srv:
            svc = app.state.hegui.services
            svc.console.create_user("admin", password, "admin")
            svc.console.create_user("rita", secrets.token_urlsafe(18), "reviewer")
            svc.console.create_user("audrey", secrets.token_urlsafe(18), "auditor")
            ids = demo_data(app, srv.url)
            pi = privacy_request(srv.url, password, app.state.hegui.demo_principal.account_id)
            demo_reports(srv.url, Path(tmp) / ".hegui" / "reports", Path(tmp))
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
                ctx = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
                page = ctx.new_page()

                def shot(name: str, path: str | None = None) -> None:
                    if path is not None:
                        page.goto(srv.url + path)
                    page.wait_for_load_state("networkidle")
                    target = out / f"{name}.png"
                    page.screenshot(path=str(target), full_page=True)
                    _shrink(target)
                    print(out / f"{name}.png")

                shot("login", f"/console/login?lang={a.lang}")
                page.fill("#username", "admin")
                page.fill("#password", password)
                with page.expect_navigation():
                    page.click("#login-submit")
                shot("dashboard")
                shot("flagged", "/console/moderation/review")
                shot("moderation", "/console/moderation")
                shot("moderation-entry", f"/console/moderation/{ids['review_rid']}")
                shot("review", "/console/review")
                shot("ticket", f"/console/review/{ids['ticket']}")
                shot("remediation", "/console/remediation")
                shot("remediation-case", f"/console/remediation/{ids['case']}")
                shot("privacy", f"/console/privacy/{pi}")
                shot("end-users", "/console/users")
                shot("lexicon", "/console/lexicon")
                shot("similar", "/console/similar")
                shot("policy", "/console/policy")
                shot("audit", "/console/audit")
                shot("reports", "/console/reports")
                shot("console-users", "/console/admin/users")
                shot("account", "/console/account")
                ctx.close()
                browser.close()
        services.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
