"""Console messages for the `audit` pages: key -> (zh-CN, English)."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "audit.title": ("审计日志校验", "Audit log"),
    "audit.intro": ("哈希链审计日志：已签名的链头、检查点、按类型统计的事件与最近的事件（不显示事件内容）。",
                    "The hash-chained audit log: the signed head, checkpoints, events by kind and the most recent "
                    "events (their contents are not shown)."),
    "audit.head": ("链头", "Chain head"),
    "audit.seq": ("序号", "Seq"),
    "audit.hash": ("哈希", "Hash"),
    "audit.signed_at": ("签名时间", "Signed"),
    "audit.key_id": ("签名公钥 ID", "Key id"),
    "audit.total": ("事件总数", "Events"),
    "audit.verify": ("立即校验", "Verify now"),
    "audit.verify_help": ("校验整条链、全部签名及内容日志的绑定，与 hegui audit verify 相同；不修改任何数据，本次校验会记入审计日志。",
                          "Checks the whole chain, every signature and the content-log bindings, as hegui audit "
                          "verify does; it changes nothing, and the verification itself is recorded in the log."),
    "audit.public_key": ("下载签名公钥（PEM）", "Download the public key (PEM)"),
    "audit.public_key_help": ("供外部机构独立校验：", "So that an outside party can verify on its own:"),
    "audit.checkpoints": ("最近的检查点", "Latest checkpoints"),
    "audit.no_checkpoints": ("还没有检查点。", "No checkpoints yet."),
    "audit.by_kind": ("事件按类型", "Events by kind"),
    "audit.chart": ("审计事件按类型分布", "Audit events by kind"),
    "audit.recent": ("最近的事件", "Most recent events"),
    "audit.recent_help": ("只显示序号、时间、类型、请求 ID 与操作人；事件内容不在此显示。",
                          "Only seq, time, kind, request id and actor are shown; the events' contents are not."),
    "audit.all_kinds": ("全部类型", "all kinds"),
    "audit.time": ("时间", "Time"),
    "audit.kind": ("类型", "Kind"),
    "audit.request_id": ("请求 ID", "Request id"),
    "audit.actor": ("操作人", "Actor"),
    "audit.empty": ("还没有审计事件。", "No audit events yet."),
    "audit.intact": ("审计链完好：未发现篡改迹象。", "The audit chain is intact: no sign of tampering."),
    "audit.tampered": ("发现 {n} 处篡改迹象。", "{n} sign(s) of tampering found."),
    "audit.checked": ("已校验 {events} 个事件、{checkpoints} 个检查点，用时 {seconds} 秒。",
                      "{events} events and {checkpoints} checkpoints checked in {seconds} s."),
    "audit.problem_kind": ("问题类型", "Problem"),
    "audit.problem": ("说明", "Details"),
    "audit_problem.edit": ("篡改", "edited"),
    "audit_problem.delete": ("删除", "deleted"),
    "audit_problem.reorder": ("乱序", "reordered"),
    "audit_problem.truncate": ("截断", "truncated"),
    "audit_problem.signature": ("签名无效", "bad signature"),
    "audit.busy": ("已有一次校验正在进行，请稍后再试。", "A verification is already running; try again shortly."),
}
