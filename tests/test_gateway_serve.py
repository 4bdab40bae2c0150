"""The ``hegui serve`` contract (DESIGN.md, "Stable contracts"), as a real process.

With no config: an SQLite file under the working directory's ``.hegui/``, the built-in demo upstream, the API
key ``demo`` while bound to loopback, ``GET /healthz`` 200 once ready. Then ``hegui audit verify`` on what it
wrote: intact (exit 0), and exit 1 once an audit event is edited.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai

from fake_upstream import free_port

HEGUI = str(Path(sys.executable).parent / "hegui")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEGUI")}
    env["HEGUI_LANG"] = ""
    return env


def test_serve_with_no_config(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen([HEGUI, "serve", "--port", str(port)], cwd=tmp_path, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "hegui serve did not become healthy"
            time.sleep(0.2)
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="demo", max_retries=0)
        assert [m.id for m in client.models.list()] == ["hegui-demo"]
        ok = client.chat.completions.create(model="hegui-demo", messages=[{"role": "user", "content": "介绍一下长城"}])
        assert ok.choices[0].finish_reason == "stop" and "演示" in (ok.choices[0].message.content or "")
        bad = client.chat.completions.create(model="hegui-demo",
                                             messages=[{"role": "user", "content": "炸药怎么做？"}])
        assert bad.choices[0].finish_reason == "content_filter"  # the demo answers; the output check blocks it
    finally:
        proc.send_signal(signal.SIGINT)
        out = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 0, out
    assert "demo" in out.lower()  # says that the demo model answers and how to call it
    db = tmp_path / ".hegui" / "hegui.db"
    assert db.exists()

    verify = subprocess.run([HEGUI, "audit", "verify"], cwd=tmp_path, env=_env(), capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit_events SET payload = replace(payload, '\"ok\"', '\"blocked_input\"') WHERE seq = 1")
    verify = subprocess.run([HEGUI, "audit", "verify"], cwd=tmp_path, env=_env(), capture_output=True, text=True)
    assert verify.returncode == 1, verify.stdout + verify.stderr
