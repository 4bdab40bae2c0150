"""``hegui console add-user|list-users|disable``: the people who may sign in to the web console.

Register with ``cli.add_command(console)`` (see :mod:`hegui.cli.main`). Passwords come from an environment
variable (``--password-env VAR``) or a hidden prompt with confirmation; there is no plain ``--password`` option
(it would end up in the shell history and the process list). Exit status: 0 success, 2 bad arguments.
"""

from __future__ import annotations

import os

import click

from hegui.cli.audit import _config_opt, _label, _open, _settings, _store_opt
from hegui.cli.main import HeguiGroup, dumps
from hegui.core.errors import InputError

__all__ = ["console"]

_ROLES = ("admin", "reviewer", "auditor")


@click.group("console", cls=HeguiGroup)
def console() -> None:
    """Users of the web console (/console): add, list, disable.

    网页控制台（/console）的用户：新增、列出、停用。
    """


@console.command("add-user")
@click.argument("username")
@click.option("--role", type=click.Choice(_ROLES), required=True,
              help="admin: everything; reviewer: review work; auditor: read-only. / 角色")
@click.option("--password-env", "password_env", default=None, metavar="VAR",
              help="Read the password from this environment variable (else a hidden prompt). / 从该环境变量读取密码")
@_config_opt
@_store_opt
def add_user(username: str, role: str, password_env: str | None, config: str | None, store_url: str | None) -> None:
    """Add a console user (the password has at least 12 characters).

    新增控制台用户（密码至少 12 个字符）。
    例 / example:  hegui console add-user alice --role admin
    """
    if password_env is not None:
        password = os.environ.get(password_env)
        if not password:
            raise InputError(f"the environment variable {password_env} is not set or empty",
                             f"环境变量 {password_env} 未设置或为空")
    else:
        password = click.prompt(_label("密码", "Password"), hide_input=True,
                                confirmation_prompt=_label("再次输入密码", "Repeat the password"))
    from hegui.gateway.settings import load_settings

    settings = load_settings(config)  # like `hegui serve`: creates the data directory and its secret if new
    services = _open(settings, store_url, must_exist=False)
    try:
        user = services.console.create_user(username, password, role)
    finally:
        services.close()
    click.echo(_label(f"已创建控制台用户 {user.username}（{role}）", f"created console user {user.username} ({role})"))


@console.command("list-users")
@_config_opt
@_store_opt
@click.option("--json", "as_json", is_flag=True, help="Print JSON. / 以 JSON 输出")
def list_users(config: str | None, store_url: str | None, as_json: bool) -> None:
    """List console users (never their password hashes).

    列出控制台用户（不显示密码哈希）。
    """
    settings, _ = _settings(config)
    services = _open(settings, store_url, must_exist=True)
    try:
        users = services.console.list_users()
    finally:
        services.close(checkpoint=False)
    rows = [{"id": u.id, "username": u.username, "role": u.role, "disabled": u.disabled,
             "locked_until": u.locked_until.isoformat() if u.locked_until else None,
             "created_at": u.created_at.isoformat(),
             "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None} for u in users]
    if as_json:
        click.echo(dumps(rows))
        return
    for r in rows:
        state = "disabled" if r["disabled"] else ("locked" if r["locked_until"] else "active")
        click.echo(f"{r['username']}\t{r['role']}\t{state}\t{r['last_login_at'] or '-'}")


@console.command("disable")
@click.argument("username")
@_config_opt
@_store_opt
def disable(username: str, config: str | None, store_url: str | None) -> None:
    """Disable a console user: no more logins, open sessions end at once.

    停用控制台用户：不能再登录，已有会话立即失效。
    """
    settings, _ = _settings(config)
    services = _open(settings, store_url, must_exist=True)
    try:
        user = services.console.disable(username)
    finally:
        services.close()
    click.echo(_label(f"已停用控制台用户 {user.username}", f"disabled console user {user.username}"))
