"""A bare pass-through proxy, the floor for any Python gateway on this machine: the same server stack as hegui
(uvicorn with httptools and uvloop) and the same upstream client (aiohttp, keep-alive), and nothing else: no
authentication, no checks, no records, no labels. ``bench_gateway.py`` measures it beside hegui.

    python bench/bare_proxy.py UPSTREAM_BASE_URL PORT
"""

from __future__ import annotations

import sys
from typing import Any

import aiohttp
import uvicorn

_state: dict[str, aiohttp.ClientSession] = {}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            m = await receive()
            if m["type"] == "lifespan.startup":
                _state["s"] = aiohttp.ClientSession(trust_env=False)
                await send({"type": "lifespan.startup.complete"})
            elif m["type"] == "lifespan.shutdown":
                await _state["s"].close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        m = await receive()
        body += m.get("body", b"")
        if not m.get("more_body"):
            break
    async with _state["s"].post(sys.argv[1] + scope["path"], data=body,
                                headers={"content-type": "application/json"}) as r:
        data = await r.read()
        status = r.status
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
