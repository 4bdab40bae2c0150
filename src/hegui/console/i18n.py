"""The console's message catalogue: every label in zh-CN and English. Language: ``?lang=`` (remembered in the
``lang`` cookie), else the cookie, else Chinese."""

from __future__ import annotations

from typing import Final

__all__ = ["LANGS", "MESSAGES", "both", "pick_lang", "t"]

LANGS: Final = ("zh", "en")

# key -> (zh, en)
MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "app.title": ("hegui 合规控制台", "hegui compliance console"),
    "nav.dashboard": ("总览", "Dashboard"),
    "nav.users": ("控制台用户", "Console users"),
    "nav.logout": ("退出登录", "Log out"),
    "nav.lang": ("English", "中文"),
    "login.title": ("登录", "Log in"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.invalid": ("用户名或密码错误。", "Wrong username or password."),
    "login.locked": ("登录失败次数过多，账号已锁定，请于 {minutes} 分钟后再试。",
                     "Too many failed logins: the account is locked; try again in {minutes} minutes."),
    "login.expired": ("登录表单已过期，请重新提交。", "The login form has expired; please submit it again."),
    "dash.title": ("总览", "Dashboard"),
    "dash.today": ("今日（北京时间）", "Today (China time)"),
    "dash.requests": ("今日请求（按结果）", "Requests today by outcome"),
    "dash.blocks": ("今日拦截（按风险类别）", "Blocks today by risk code"),
    "dash.backlog": ("待办与逾期", "Backlog and overdue"),
    "dash.total": ("请求总数", "Requests"),
    "dash.flagged": ("今日标记待人工审核", "Flagged for review today"),
    "dash.complaints_open": ("未结投诉举报", "Open complaints"),
    "dash.complaints_overdue": ("逾期投诉举报", "Overdue complaints"),
    "dash.privacy_overdue": ("逾期个人信息请求", "Overdue personal-information requests"),
    "dash.remediation_open": ("整改中案件", "Open remediation cases"),
    "dash.remediation_overdue": ("逾期整改案件", "Overdue remediation cases"),
    "dash.none": ("暂无数据", "No data yet"),
    "dash.chart_requests": ("今日请求按结果分布", "Requests today by outcome"),
    "dash.chart_blocks": ("今日拦截按风险类别分布", "Blocks today by risk code"),
    "users.title": ("控制台用户", "Console users"),
    "users.username": ("用户名", "Username"),
    "users.role": ("角色", "Role"),
    "users.status": ("状态", "Status"),
    "users.created": ("创建时间", "Created"),
    "users.last_login": ("最近登录", "Last login"),
    "users.actions": ("操作", "Actions"),
    "users.active": ("启用", "Active"),
    "users.disabled": ("已停用", "Disabled"),
    "users.locked": ("已锁定", "Locked"),
    "users.disable": ("停用", "Disable"),
    "users.new": ("新建用户", "New user"),
    "users.password": ("密码（至少 12 个字符）", "Password (at least 12 characters)"),
    "users.password2": ("确认密码", "Confirm password"),
    "users.create": ("创建", "Create"),
    "users.created_ok": ("已创建用户 {username}。", "User {username} created."),
    "users.disabled_ok": ("已停用用户 {username}。", "User {username} disabled."),
    "users.mismatch": ("两次输入的密码不一致。", "The passwords do not match."),
    "users.self": ("不能停用自己的账号。", "You cannot disable your own account."),
    "users.never": ("从未", "never"),
    "role.admin": ("管理员", "Administrator"),
    "role.reviewer": ("审核员", "Reviewer"),
    "role.auditor": ("审计员（只读）", "Auditor (read-only)"),
    "err.forbidden": ("无权访问此页面。", "You may not open this page."),
    "err.csrf": ("请求缺少有效的 CSRF 令牌，已拒绝。请刷新页面后重试。",
                 "The request lacks a valid CSRF token and was refused. Reload the page and try again."),
    "err.not_found": ("页面不存在。", "Page not found."),
    "err.back": ("返回总览", "Back to the dashboard"),
    "err.title": ("出错了", "Something went wrong"),
    "outcome.ok": ("正常", "ok"),
    "footer.signed_in": ("当前用户", "Signed in as"),
}


def pick_lang(value: str | None) -> str | None:
    """``zh`` or ``en`` from a query parameter or cookie value (None: not a language we have)."""
    if not value:
        return None
    v = value.strip().lower()
    if v.startswith("zh"):
        return "zh"
    if v.startswith("en"):
        return "en"
    return None


def t(key: str, lang: str, **kw: object) -> str:
    zh, en = MESSAGES[key]
    text = en if lang == "en" else zh
    return text.format(**kw) if kw else text


def both(key: str, lang: str, **kw: object) -> tuple[str, str]:
    """The message in the page's language first, then in the other one (for errors shown bilingually)."""
    other = "zh" if lang == "en" else "en"
    return t(key, lang, **kw), t(key, other, **kw)
