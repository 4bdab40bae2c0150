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
    "nav.review": ("审核队列", "Review queue"),
    "nav.end_users": ("终端用户", "End users"),
    "common.cn_time": ("时间均为北京时间。", "Times are China time (UTC+8)."),
    "common.none": ("无", "none"),
    "common.yes": ("是", "yes"),
    "common.no": ("否", "no"),
    "common.unknown": ("未知", "unknown"),
    "common.prev": ("上一页", "Previous"),
    "common.next": ("下一页", "Next"),
    "common.read_only": ("只读视图：审计员不能执行操作。", "Read-only view: auditors cannot take actions."),
    "review.title": ("审核队列", "Review queue"),
    "review.open_only": ("未结工单（投诉与举报），按截止时间排序。", "Open tickets (complaints and reports), by deadline."),
    "review.all": ("全部工单", "All tickets"),
    "review.show_open": ("仅看未结", "Open only"),
    "review.empty": ("没有待处理的工单。", "No tickets waiting."),
    "review.number": ("受理编号", "Ticket"),
    "review.kind": ("类型", "Kind"),
    "review.category": ("类别", "Category"),
    "review.status": ("状态", "Status"),
    "review.assignee": ("处理人", "Assignee"),
    "review.created": ("受理时间", "Received"),
    "review.deadline": ("处理时限", "Deadline"),
    "review.overdue": ("已逾期", "overdue"),
    "review.channel": ("渠道", "Channel"),
    "review.request_id": ("回答编号", "Answer's request id"),
    "review.description": ("描述", "Description"),
    "review.contact": ("联系方式", "Contact"),
    "review.erased": ("（已删除）", "(erased)"),
    "review.decision": ("处理结果", "Decision"),
    "review.history": ("处理记录", "History"),
    "review.ts": ("时间", "Time"),
    "review.actor": ("操作人", "By"),
    "review.action": ("操作", "Action"),
    "review.note": ("备注", "Note"),
    "review.answer": ("被举报的回答（个人信息已脱敏）", "The reported answer (personal information redacted)"),
    "review.prompt": ("用户提问", "The prompt"),
    "review.output": ("模型回答", "The answer"),
    "review.no_content": ("内容日志中没有这条回答（未开启内容日志或已过保存期）。",
                          "The answer is not in the content log (content logging off, or purged)."),
    "review.case": ("整改案件", "Remediation case"),
    "review.case_due": ("整改期限", "Fix due"),
    "review.case_status": ("案件状态", "Case status"),
    "review.actions": ("处理", "Actions"),
    "review.assign_me": ("分配给我", "Assign to me"),
    "review.add_note": ("添加备注", "Add note"),
    "review.note_text": ("备注（仅工作人员可见，加密保存）", "Note (staff only, stored encrypted)"),
    "review.confirm": ("确认举报并拦截", "Confirm and block"),
    "review.confirm_help": ("确认后该回答立即在网关被拦截，并创建三个月内完成的整改案件。",
                            "Confirming blocks the answer at the gateway at once and opens a remediation case due "
                            "within three months."),
    "review.risk_code": ("风险类别", "Risk code"),
    "review.reject": ("驳回", "Reject"),
    "review.reason": ("驳回理由（记为内部备注）", "Reason for rejecting (kept as an internal note)"),
    "review.closed": ("该工单已办结。", "This ticket is closed."),
    "channel.api": ("应用接口", "app (API)"),
    "channel.web": ("网页表单", "web form"),
    "channel.provider": ("工作人员录入", "entered by staff"),
    "kind.report_output": ("举报回答", "Report of an answer"),
    "kind.complaint": ("投诉", "Complaint"),
    "kind.pi_request": ("个人信息请求", "Personal-information request"),
    "status.received": ("已受理", "received"),
    "status.triage": ("分拣中", "triage"),
    "status.in_review": ("审核中", "in review"),
    "status.resolved": ("已处理", "resolved"),
    "status.rejected": ("不予支持", "rejected"),
    "status.appealed": ("已申诉", "appealed"),
    "flash.confirmed": ("举报已确认：该回答已在网关拦截，整改案件已创建。",
                        "Report confirmed: the answer is blocked at the gateway and a remediation case is open."),
    "flash.rejected": ("工单已驳回。", "Ticket rejected."),
    "flash.assigned": ("工单已分配给你。", "Ticket assigned to you."),
    "flash.noted": ("备注已保存。", "Note saved."),
    "flash.suspended": ("已暂停该用户的服务。", "The user is suspended."),
    "flash.lifted": ("已解除该用户的处置。", "The user's sanction is lifted."),
    "err.reason_required": ("请填写理由。", "Please give a reason."),
    "err.days": ("天数须为 1 到 3650 之间的整数。", "Days must be a whole number from 1 to 3650."),
    "eu.title": ("终端用户", "End users"),
    "eu.intro": ("接入应用的终端用户：实名认证、未成年人标记与当前处置。",
                 "End users of the provider's apps: real-name verification, minor flag and current sanction."),
    "eu.empty": ("还没有终端用户。", "No end users yet."),
    "eu.user": ("用户", "User"),
    "eu.account": ("账户", "Account"),
    "eu.created": ("首次出现", "First seen"),
    "eu.verified": ("实名认证", "Real-name verification"),
    "eu.unverified": ("未认证", "not verified"),
    "eu.minor": ("未成年人", "Minor"),
    "eu.opt_out": ("不用于训练", "Training opt-out"),
    "eu.status": ("状态", "Status"),
    "eu.deleted": ("已删除", "deleted"),
    "eu.active": ("正常", "active"),
    "eu.sanction": ("当前处置", "Current sanction"),
    "eu.until": ("至", "until"),
    "eu.indefinite": ("直至另行通知", "until further notice"),
    "eu.actions": ("操作", "Actions"),
    "eu.days": ("天数", "Days"),
    "eu.reason": ("理由", "Reason"),
    "eu.suspend": ("暂停服务", "Suspend"),
    "eu.lift": ("解除处置", "Lift"),
    "sanction.none": ("无", "none"),
    "sanction.warn": ("警示", "warning"),
    "sanction.restrict": ("限制功能", "restricted"),
    "sanction.suspend": ("暂停服务", "suspended"),
    "sanction.terminate": ("终止服务", "terminated"),
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
