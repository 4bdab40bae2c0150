"""``hegui audit verify|checkpoint|export-key`` and ``hegui log purge``: the audit chain and the content log.

Register with ``cli.add_command(audit)`` and ``cli.add_command(log)`` (see :mod:`hegui.cli.main`).
Exit status: 0 success (chain intact), 1 tampering found, 2 bad arguments or an unreadable store.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hegui.cli.main import HeguiGroup, _lang, dumps
from hegui.core.errors import InputError

if TYPE_CHECKING:
    from hegui.gateway.settings import Settings
    from hegui.services import Services

__all__ = ["audit", "log"]

_KIND_ZH = {"edit": "篡改", "delete": "删除", "reorder": "乱序", "truncate": "截断", "signature": "签名"}


def _label(zh: str, en: str) -> str:
    lang = _lang()
    return zh if lang.startswith("zh") else en if lang.startswith("en") else f"{zh} / {en}"


def _settings(config: str | None) -> tuple[Settings, bool]:
    """The settings, and whether the content secret is available (verify never creates a new secret)."""
    from hegui.gateway.settings import load_settings

    probe = load_settings(config, create_secret=False)
    has_secret = bool(os.environ.get("HEGUI_SECRET_KEY")) or (probe.data_dir / "secret.key").exists()
    return (load_settings(config) if has_secret else probe), has_secret


def _open(settings: Settings, store_url: str | None, *, must_exist: bool, secret: bytes | None = None) -> Services:
    from hegui.services import Services, store_exists

    url = store_url or settings.store_url
    if must_exist and not store_exists(url):
        raise InputError("the store does not exist", "存储不存在", path=url)
    return Services.open(
        url, secret_key=secret if secret is not None else settings.secret_key, data_dir=settings.data_dir,
        retention_days=settings.logging.retention_days, checkpoint_every=settings.audit.checkpoint_every,
        content_log=settings.logging.content_log, echo=settings.store.echo,
    )


_config_opt = click.option("--config", type=click.Path(dir_okay=False), default=None,
                           help="hegui config file (default: built-in settings). / 配置文件")
_store_opt = click.option("--store-url", default=None,
                          help="Store URL (default: from the config, or SQLite in the data directory). / 存储地址")


@click.group("audit", cls=HeguiGroup)
def audit() -> None:
    """The hash-chained audit log: verify it, checkpoint it, export the public key.

    审计日志（哈希链）：校验、写入检查点、导出公钥。
    """


@audit.command("verify")
@_config_opt
@_store_opt
@click.option("--public-key", "public_key", type=click.Path(dir_okay=False), default=None,
              help="Verify signatures with this exported public key (PEM) instead of the local signing key. / 用该公钥验证签名")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON. / 以 JSON 输出")
def verify(config: str | None, store_url: str | None, public_key: str | None, as_json: bool) -> None:
    """Check the whole audit chain; list every sign of tampering. Exit 1 when any is found.

    校验整个审计链并列出所有篡改迹象；发现问题时以状态 1 退出。
    例 / example:  hegui audit verify --public-key audit_pub.pem
    """
    import secrets

    pem: bytes | None = None
    if public_key is not None:
        try:
            pem = Path(public_key).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read the public key: {exc.strerror}", f"无法读取公钥：{exc.strerror}",
                             path=public_key) from None
    settings, has_secret = _settings(config)
    # without the secret, the content-log bindings cannot be checked (the chain and signatures still are)
    services = _open(settings, store_url, must_exist=True, secret=None if has_secret else secrets.token_bytes(32))
    try:
        report = services.audit.verify(public_key_pem=pem, check_content=has_secret)
    finally:
        services.close(checkpoint=False)
    if as_json:
        click.echo(dumps({**report.to_dict(), "content_checked": has_secret}))
    else:
        lang = _lang()
        for p in report.problems:
            kind = p.kind if lang.startswith("en") else f"{_KIND_ZH.get(p.kind, p.kind)} {p.kind}"
            where = f"seq {p.seq}" if p.seq is not None else "-"
            detail = p.detail_zh if lang.startswith("zh") else p.detail_en if lang.startswith("en") else \
                f"{p.detail_zh} / {p.detail_en}"
            click.echo(click.style(f"[{kind}] {where}: ", fg="red", bold=True) + detail)
        counts = _label(f"{report.events} 个事件，{report.checkpoints} 个检查点",
                        f"{report.events} events, {report.checkpoints} checkpoints")
        if report.ok:
            click.echo(click.style(_label("审计链完好", "audit chain intact"), fg="green", bold=True) + f": {counts}")
        else:
            n = len(report.problems)
            click.echo(click.style(_label(f"发现 {n} 处篡改迹象", f"{n} sign(s) of tampering"), fg="red", bold=True)
                       + f": {counts}")
        if not has_secret:
            click.echo(_label("未找到密钥，未校验内容日志与审计事件的绑定",
                              "no secret key found: content-log rows were not checked against their events"), err=True)
    sys.exit(0 if report.ok else 1)


@audit.command("checkpoint")
@_config_opt
@_store_opt
def checkpoint(config: str | None, store_url: str | None) -> None:
    """Write a signed checkpoint of the audit chain now. / 立即写入一个已签名的检查点。"""
    from hegui.gateway.settings import load_settings

    settings = load_settings(config)
    services = _open(settings, store_url, must_exist=True)
    try:
        cp = services.audit.checkpoint()
    finally:
        services.close(checkpoint=False)
    if cp is None:
        click.echo(_label("审计链为空，未写入检查点", "the audit chain is empty: no checkpoint written"))
        return
    click.echo(_label("已写入检查点", "checkpoint written") + f": seq={cp.seq} hash={cp.hash} key={cp.key_id}")


@audit.command("export-key")
@_config_opt
def export_key(config: str | None) -> None:
    """Print the checkpoint-signing public key (PEM), for verification elsewhere.

    输出检查点签名公钥（PEM），供外部校验。例 / example:  hegui audit export-key > audit_pub.pem
    """
    from hegui.gateway.settings import load_settings
    from hegui.services import signing_public_key_pem

    settings = load_settings(config, create_secret=False)
    click.echo(signing_public_key_pem(settings.data_dir).decode("ascii"), nl=False)


@click.group("log", cls=HeguiGroup)
def log() -> None:
    """The content log (PII-redacted prompts and answers). / 内容日志（已脱敏的提问与回答）。"""


@log.command("purge")
@_config_opt
@_store_opt
def purge(config: str | None, store_url: str | None) -> None:
    """Delete content-log rows older than the retention period (audit events are kept).

    删除超过保存期限的内容日志记录（审计事件保留）。
    """
    from hegui.gateway.settings import load_settings

    settings = load_settings(config)
    services = _open(settings, store_url, must_exist=True)
    try:
        n = services.records.purge()
    finally:
        services.close(checkpoint=False)
    click.echo(_label(f"已删除 {n} 条过期内容日志", f"deleted {n} expired content-log rows")
               + f" (retention {settings.logging.retention_days} days)")
