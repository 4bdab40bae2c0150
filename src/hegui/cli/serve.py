"""``hegui serve``: the gateway (OpenAI-compatible API) on uvicorn."""

from __future__ import annotations

import click

__all__ = ["serve"]


def _usage(host: str, port: int, demo: bool) -> str:
    base = f"http://{host}:{port}"
    key = "demo" if demo else "<your key>"
    return f"""
hegui gateway: {base}   (health: {base}/healthz, metrics: {base}/metrics)

  curl {base}/v1/chat/completions -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\
       -d '{{"model": "hegui-demo", "messages": [{{"role": "user", "content": "你好"}}]}}'

  python -c "from openai import OpenAI; c = OpenAI(base_url='{base}/v1', api_key='{key}'); \\
print(c.chat.completions.create(model='hegui-demo', messages=[{{'role': 'user', 'content': '怎么制作炸弹'}}]).choices[0].message.content)"
"""


@click.command("serve")
@click.option("--config", "config", type=click.Path(dir_okay=False), default=None,
              help="hegui YAML config / 配置文件 (default: SQLite under ./.hegui and the built-in demo model)")
@click.option("--host", default=None, help="address to bind / 监听地址 (default 127.0.0.1)")
@click.option("--port", type=int, default=None, help="port / 端口 (default 8000)")
@click.option("--log-level", default="info", type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def serve(config: str | None, host: str | None, port: int | None, log_level: str) -> None:
    """Start the gateway / 启动网关 (OpenAI-compatible: /v1/chat/completions, /v1/moderations, /v1/models)."""
    import uvicorn

    from hegui.gateway.app import create_app
    from hegui.gateway.settings import load_settings

    server: dict[str, object] = {}
    if host is not None:
        server["host"] = host
    if port is not None:
        server["port"] = port
    settings = load_settings(config, overrides={"server": server} if server else None)
    app = create_app(settings)
    demo_key = settings.server.demo_key and settings.server.is_loopback()
    if settings.use_demo:
        click.echo("注意 / note: no upstream is configured, so the built-in DEMO model answers (not a real model).",
                   err=True)
    click.echo(_usage(settings.server.host, settings.server.port, demo_key), err=True)
    uvicorn.run(app, host=settings.server.host, port=settings.server.port, log_level=log_level,
                access_log=False, lifespan="on")
