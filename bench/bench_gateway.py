"""Gateway benchmark: hegui in front of a fake upstream with fixed latency, against calling that upstream directly.

Processes on loopback: the fake upstream (``tests/fake_upstream.py``), ``hegui serve`` (SQLite store, the
shipped moderation: lexicon + PII + classifier + similar), ``bare_proxy.py`` (a pass-through proxy on the same
server stack: the floor for any Python gateway here) and this client (aiohttp, keep-alive).

- **added latency**: 1 KB prompt, 1 KB answer, non-streaming, requests one at a time, direct and through hegui
  interleaved; added = p50 (p99) through hegui minus p50 (p99) direct. Goal: p50 ≤ 3 ms, p99 ≤ 15 ms.
- **throughput**: non-streaming requests/s through hegui with ``concurrency`` clients for ``duration_s`` (≥ 60 s in
  a full run), zero errors required; the same client against the upstream directly is the baseline.
- **time to first token, streaming**: first content delta through hegui minus direct; hegui holds text back until
  a sentence is complete (or ``streaming.holdback_chars``), so this depends on the upstream's token rate, given.

    .venv/bin/python bench/bench_gateway.py [--quick] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

# ~1 KB of UTF-8 (benign Chinese prose, 3 bytes a character)
_PARA = ("城市公共交通的规划需要兼顾效率与公平，地铁、公交和共享单车应当形成互补的网络。"
         "规划者通常会先调查居民的出行需求，再根据人口分布安排线路和站点。")
PROMPT_1K = (_PARA * 6)[:340]
ANSWER_1K = (_PARA * 6)[:340]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(xs: list[float], q: float) -> float:
    ys = sorted(xs)
    k = min(len(ys) - 1, max(0, round(q / 100.0 * (len(ys) - 1))))
    return ys[k]


def _wait(url: str, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up within {timeout:.0f} s")


class _Procs:
    def __init__(self, latency_ms: float, chunk_delay_ms: float, *, users: bool = False, bare: bool = False,
                 durability: str = "journal") -> None:
        self.users = users
        self.bare = bare
        self.durability = durability
        self.bare_port = _free_port()
        self.tmp = Path(tempfile.mkdtemp(prefix="hegui-gw-bench-"))
        self.up_port = _free_port()
        self.gw_port = _free_port()
        self.latency_ms = latency_ms
        self.chunk_delay_ms = chunk_delay_ms
        self.procs: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> _Procs:
        py = sys.executable
        up = subprocess.Popen([py, str(REPO / "tests" / "fake_upstream.py"), "--port", str(self.up_port),
                               "--latency-ms", str(self.latency_ms), "--chunk-delay-ms", str(self.chunk_delay_ms)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(up)
        cfg = self.tmp / "hegui.yaml"
        cfg.write_text(json.dumps({
            "upstreams": [{"name": "fake", "base_url": f"http://127.0.0.1:{self.up_port}/v1", "models": ["fake"]}],
            "limits": {"rate_limit_per_min": 10_000_000},
            "audit": {"durability": self.durability},
            # issue 5: every request names its end user; identity lookup, sanctions and minors' checks run
            **({"identity": {"require_user": True, "auto_create_users": True}} if self.users else {}),
        }), encoding="utf-8")
        env = dict(os.environ, HEGUI_DATA_DIR=str(self.tmp / ".hegui"))
        hegui = Path(py).parent / "hegui"
        gw = subprocess.Popen([str(hegui), "serve", "--config", str(cfg), "--port", str(self.gw_port),
                               "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        self.procs.append(gw)
        if self.bare:
            bare = subprocess.Popen([py, str(HERE / "bare_proxy.py"), f"http://127.0.0.1:{self.up_port}",
                                     str(self.bare_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.procs.append(bare)
        _wait(f"http://127.0.0.1:{self.up_port}/v1/models", up)
        _wait(f"http://127.0.0.1:{self.gw_port}/healthz", gw)
        if self.bare:
            _wait(f"http://127.0.0.1:{self.bare_port}/v1/models", self.procs[-1])
        return self

    def __exit__(self, *exc: object) -> None:
        for p in self.procs:
            p.send_signal(signal.SIGINT)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def _body(stream: bool = False, user: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "fake", "messages": [{"role": "user", "content": "SAY:" + ANSWER_1K}],
                            "stream": stream}
    if user is not None:
        body["user"] = user
    return body


_JSON = {"Content-Type": "application/json"}
_AUTH = {"Authorization": "Bearer demo", **_JSON}


def _session(limit: int = 100) -> aiohttp.ClientSession:
    # the client is aiohttp (about 0.5 ms of CPU a request here, against about 3 ms for httpx): it shares the
    # two cores with hegui and the upstream, so a light client measures hegui, not itself
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit), trust_env=False,
                                 timeout=aiohttp.ClientTimeout(total=60))


async def _post(s: aiohttp.ClientSession, url: str, data: bytes, headers: dict[str, str]) -> int:
    async with s.post(url, data=data, headers=headers) as r:
        await r.read()
        return r.status


async def _latency(direct: str, gateway: str, n: int, user: str | None = None, bare: str | None = None
                   ) -> dict[str, Any]:
    d_ms: list[float] = []
    g_ms: list[float] = []
    b_ms: list[float] = []
    data = json.dumps(_body(user=user), ensure_ascii=False).encode()
    targets = [(direct, d_ms, _JSON), (gateway, g_ms, _AUTH)]
    if bare is not None:  # the floor: a pass-through proxy on the same server stack, measured in the same run
        targets.append((bare, b_ms, _JSON))
    async with _session() as s:
        for _ in range(20):  # warm-up
            for url, _sink, h in targets:
                await _post(s, url, data, h)
        for i in range(n):
            order = targets[i % len(targets):] + targets[:i % len(targets)]  # rotate: no target always first
            for url, sink, h in order:
                t = time.perf_counter()
                status = await _post(s, url, data, h)
                sink.append((time.perf_counter() - t) * 1000.0)
                if status != 200:
                    raise RuntimeError(f"{url}: HTTP {status}")
    out = {
        "n": n,
        "direct_p50_ms": statistics.median(d_ms), "direct_p99_ms": _pct(d_ms, 99),
        "hegui_p50_ms": statistics.median(g_ms), "hegui_p99_ms": _pct(g_ms, 99),
        "added_p50_ms": statistics.median(g_ms) - statistics.median(d_ms),
        "added_p99_ms": _pct(g_ms, 99) - _pct(d_ms, 99),
    }
    if b_ms:
        out |= {"bare_p50_ms": statistics.median(b_ms), "bare_p99_ms": _pct(b_ms, 99),
                "bare_added_p50_ms": statistics.median(b_ms) - statistics.median(d_ms),
                "over_bare_p50_ms": statistics.median(g_ms) - statistics.median(b_ms)}
    return out


async def _throughput(url: str, headers: dict[str, str], concurrency: int, duration_s: float) -> dict[str, Any]:
    ok = 0
    errors = 0
    stop = time.perf_counter() + duration_s
    data = json.dumps(_body(), ensure_ascii=False).encode()
    async with _session(concurrency) as s:

        async def worker() -> None:
            nonlocal ok, errors
            while time.perf_counter() < stop:
                try:
                    if await _post(s, url, data, headers) == 200:
                        ok += 1
                    else:
                        errors += 1
                except (aiohttp.ClientError, TimeoutError):
                    errors += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    return {"requests": ok, "errors": errors, "seconds": elapsed, "rps": ok / elapsed, "concurrency": concurrency}


async def _ttft(direct: str, gateway: str, n: int) -> dict[str, Any]:
    d_ms: list[float] = []
    g_ms: list[float] = []
    data = json.dumps(_body(stream=True), ensure_ascii=False).encode()
    async with _session() as s:
        for i in range(n + 3):
            for url, sink, h in ((direct, d_ms, _JSON), (gateway, g_ms, _AUTH)):
                t = time.perf_counter()
                first = None
                async with s.post(url, data=data, headers=h) as r:
                    async for raw in r.content:
                        line = raw.decode("utf-8").strip()
                        if first is None and line.startswith("data: {"):
                            obj = json.loads(line[6:])
                            for ch in obj.get("choices") or []:
                                if (ch.get("delta") or {}).get("content"):
                                    first = (time.perf_counter() - t) * 1000.0
                if first is None:
                    raise RuntimeError(f"{url}: no content in the stream")
                if i >= 3:
                    sink.append(first)
    return {"n": n, "direct_ttft_p50_ms": statistics.median(d_ms), "hegui_ttft_p50_ms": statistics.median(g_ms),
            "added_ttft_p50_ms": statistics.median(g_ms) - statistics.median(d_ms),
            "added_ttft_p99_ms": _pct(g_ms, 99) - _pct(d_ms, 99)}


def run(*, quick: bool = False, log: Any = print) -> dict[str, Any]:
    latency_ms = 20.0
    chunk_delay_ms = 5.0
    n = 100 if quick else 500
    duration = 5.0 if quick else 60.0
    concurrency = 16
    out: dict[str, Any] = {"upstream_latency_ms": latency_ms, "upstream_chunk_delay_ms": chunk_delay_ms,
                           "chunk_chars": 3, "prompt_bytes": len(PROMPT_1K.encode()),
                           "answer_bytes": len(ANSWER_1K.encode()), "cpu_count": os.cpu_count()}
    with _Procs(latency_ms, chunk_delay_ms, bare=True) as p:
        direct = f"http://127.0.0.1:{p.up_port}/v1/chat/completions"
        gateway = f"http://127.0.0.1:{p.gw_port}/v1/chat/completions"
        bare = f"http://127.0.0.1:{p.bare_port}/v1/chat/completions"
        log(f"gateway: added latency ({n} interleaved rounds: direct, hegui, bare proxy) ...")
        out["latency"] = asyncio.run(_latency(direct, gateway, n, bare=bare))
        log(f"gateway: throughput through hegui, {concurrency} clients for {duration:.0f} s ...")
        out["throughput"] = asyncio.run(_throughput(gateway, _AUTH, concurrency, duration))
        log("gateway: throughput of the upstream directly (baseline) ...")
        out["throughput_direct"] = asyncio.run(_throughput(direct, _JSON, concurrency, min(duration, 15.0)))
        log("gateway: time to first token, streaming ...")
        out["ttft"] = asyncio.run(_ttft(direct, gateway, 20 if quick else 60))
    with _Procs(latency_ms, chunk_delay_ms, users=True) as p:
        direct = f"http://127.0.0.1:{p.up_port}/v1/chat/completions"
        gateway = f"http://127.0.0.1:{p.gw_port}/v1/chat/completions"
        log(f"gateway: added latency with end-user checks on ({n} interleaved pairs) ...")
        out["latency_users"] = asyncio.run(_latency(direct, gateway, n, user="bench-user-1"))
    with _Procs(latency_ms, chunk_delay_ms, durability="commit") as p:
        direct = f"http://127.0.0.1:{p.up_port}/v1/chat/completions"
        gateway = f"http://127.0.0.1:{p.gw_port}/v1/chat/completions"
        log(f"gateway: added latency with audit.durability: commit ({n} interleaved pairs) ...")
        out["latency_commit"] = asyncio.run(_latency(direct, gateway, n))
    lat = out["latency"]
    lu = out["latency_users"]
    thr = out["throughput"]
    out["goals"] = [
        {"id": "gateway.added_p50_ms", "text": "gateway added latency p50, 1 KB prompt + 1 KB answer: ≤ 3 ms",
         "met": lat["added_p50_ms"] <= 3.0, "detail": f"{lat['added_p50_ms']:.2f} ms"},
        {"id": "gateway.added_p99_ms", "text": "gateway added latency p99, 1 KB prompt + 1 KB answer: ≤ 15 ms",
         "met": lat["added_p99_ms"] <= 15.0, "detail": f"{lat['added_p99_ms']:.2f} ms"},
        {"id": "gateway.users.added_p50_ms",
         "text": "gateway added latency p50 with identity, sanctions and minors' checks on: ≤ 3 ms",
         "met": lu["added_p50_ms"] <= 3.0, "detail": f"{lu['added_p50_ms']:.2f} ms"},
        {"id": "gateway.errors", "text": f"gateway throughput run ({thr['seconds']:.0f} s): zero errors",
         "met": thr["errors"] == 0 and thr["seconds"] >= (4.0 if quick else 60.0),
         "detail": f"{thr['requests']:,} ok, {thr['errors']} errors, {thr['rps']:.0f} req/s"},
    ]
    return out


def render(g: dict[str, Any]) -> str:
    lat, thr, thd, tt = g["latency"], g["throughput"], g["throughput_direct"], g["ttft"]
    lu = g["latency_users"]
    lc = g.get("latency_commit")
    extra = []
    if "bare_p50_ms" in lat:
        extra.append(f"| latency p50, bare pass-through proxy (uvicorn + aiohttp, nothing else; baseline) | "
                     f"{lat['direct_p50_ms']:.2f} ms | {lat['bare_p50_ms']:.2f} ms (bare) | "
                     f"{lat['bare_added_p50_ms']:.2f} ms |")
        extra.append(f"| hegui over the bare proxy, p50 (what hegui's own work costs) | {lat['bare_p50_ms']:.2f} ms "
                     f"| {lat['hegui_p50_ms']:.2f} ms | {lat['over_bare_p50_ms']:.2f} ms |")
    if lc is not None:
        extra.append(f"| latency p50, audit.durability: commit (answers wait for the database) | "
                     f"{lc['direct_p50_ms']:.2f} ms | {lc['hegui_p50_ms']:.2f} ms | {lc['added_p50_ms']:.2f} ms |")
    return "\n".join([
        "## Gateway (hegui serve in front of a fake upstream)",
        "",
        f"Fake upstream: {g['upstream_latency_ms']:.0f} ms fixed latency; streams {g['chunk_chars']}-character chunks "
        f"every {g['upstream_chunk_delay_ms']:.0f} ms. Prompt {g['prompt_bytes']} B, answer {g['answer_bytes']} B. "
        f"{g['cpu_count']} CPU cores shared by the upstream, hegui and the client.",
        "",
        "| figure | direct (baseline) | through hegui | added |",
        "| --- | ---: | ---: | ---: |",
        f"| latency p50 (n={lat['n']}) | {lat['direct_p50_ms']:.2f} ms | {lat['hegui_p50_ms']:.2f} ms | "
        f"{lat['added_p50_ms']:.2f} ms |",
        f"| latency p99 | {lat['direct_p99_ms']:.2f} ms | {lat['hegui_p99_ms']:.2f} ms | {lat['added_p99_ms']:.2f} ms |",
        *extra,
        f"| latency p50, end-user checks on (identity, sanctions, minors) | {lu['direct_p50_ms']:.2f} ms | "
        f"{lu['hegui_p50_ms']:.2f} ms | {lu['added_p50_ms']:.2f} ms |",
        f"| latency p99, end-user checks on | {lu['direct_p99_ms']:.2f} ms | {lu['hegui_p99_ms']:.2f} ms | "
        f"{lu['added_p99_ms']:.2f} ms |",
        f"| requests/s ({thr['concurrency']} clients, non-streaming) | {thd['rps']:.0f} | {thr['rps']:.0f} "
        f"({thr['requests']:,} in {thr['seconds']:.0f} s, {thr['errors']} errors) | |",
        f"| time to first token p50, streaming (n={tt['n']}) | {tt['direct_ttft_p50_ms']:.1f} ms | "
        f"{tt['hegui_ttft_p50_ms']:.1f} ms | {tt['added_ttft_p50_ms']:.1f} ms |",
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args(argv)
    g = run(quick=a.quick, log=lambda m: print(m, file=sys.stderr, flush=True))
    print(render(g))
    for goal in g["goals"]:
        print(("✓ " if goal["met"] else "✗ ") + goal["text"] + ": " + goal["detail"])
    if a.json:
        a.json.write_text(json.dumps(g, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
