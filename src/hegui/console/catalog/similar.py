"""Console messages for the `similar` pages (the similar-text library, and the word library's history):
key -> (zh-CN, English)."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "sim.title": ("相似文本库", "Similar-text library"),
    "sim.intro": ("网关的 similar 检测器按近似匹配比对的文本库：内置库、已确认举报的内容，以及管理员在此添加的条目。"
                  "黑名单（black）拦截相似文本，可疑（suspect）送人工审核，白名单（white）对相似文本不报。"
                  "在此添加或移除的条目立即在网关生效；审核员和审计员只读。",
                  "The texts the gateway's similar detector matches near-copies of: the shipped library, the "
                  "content of confirmed reports, and the entries administrators add here. Black entries block "
                  "similar texts, suspect ones send them to review, white ones are never flagged. Entries added or "
                  "removed here take effect in the gateway at once. Reviewers and auditors read only."),
    "sim.read_only": ("只读视图：只有管理员可以添加或移除条目。",
                      "Read-only view: only administrators add or remove entries."),
    "sim.no_detector": ("网关未配置 similar 检测器：这里的条目会保存，但在配置该检测器之前不会生效。",
                        "The gateway has no similar detector configured: entries are kept but take no effect "
                        "until it is."),
    "sim.size": ("库规模", "Library size"),
    "sim.origin": ("来源", "Origin"),
    "sim.origin.shipped": ("内置库", "Shipped library"),
    "sim.origin.reports": ("已确认举报", "Confirmed reports"),
    "sim.origin.console": ("控制台添加", "Added in the console"),
    "sim.total": ("合计", "Total"),
    "sim.version": ("控制台条目版本", "Console entries version"),
    "sim.kind": ("类型", "Kind"),
    "sim.kind.black": ("黑名单（拦截）", "black (block)"),
    "sim.kind.suspect": ("可疑（送审）", "suspect (review)"),
    "sim.kind.white": ("白名单（不报）", "white (never flag)"),
    "sim.console_entries": ("控制台条目", "Console entries"),
    "sim.empty": ("还没有控制台条目。", "No console entries yet."),
    "sim.text": ("文本", "Text"),
    "sim.risk": ("风险代码", "Risk code"),
    "sim.risk_none": ("（白名单无需风险代码）", "(none for white entries)"),
    "sim.severity": ("严重程度", "Severity"),
    "sim.note": ("备注", "Note"),
    "sim.added": ("添加人 / 时间", "Added by / at"),
    "sim.actions": ("操作", "Actions"),
    "sim.remove": ("移除", "Remove"),
    "sim.add": ("添加条目", "Add entry"),
    "sim.add_help": ("文本最多 2000 个字符；黑名单和可疑条目需要风险代码。", "Text of at most 2,000 characters; black "
                     "and suspect entries need a risk code."),
    "sim.reports": ("已确认举报的条目（只读）", "Entries from confirmed reports (read-only)"),
    "sim.reports_intro": ("审核员确认举报后，被举报的回答（及提问）自动加入文本库；在整改案件中处理，这里不显示文本。",
                          "When a reviewer confirms a report, the reported answer (and prompt) joins the library; "
                          "they are handled in the remediation case, and their text is not shown here."),
    "sim.reports_empty": ("还没有已确认举报的条目。", "No entries from confirmed reports yet."),
    "sim.entry_id": ("条目编号", "Entry id"),
    "sim.role": ("内容", "Content"),
    "sim.role.answer": ("回答", "answer"),
    "sim.role.prompt": ("提问", "prompt"),
    "sim.case": ("整改案件", "Remediation case"),
    "sim.history": ("最近变更", "Recent changes"),
    "sim.history_empty": ("还没有变更。", "No changes yet."),
    "sim.h_version": ("版本", "Version"),
    "sim.h_action": ("变更", "Change"),
    "sim.h_added": ("添加", "added"),
    "sim.h_removed": ("移除", "removed"),
    "sim.h_by": ("操作人 / 时间", "By / at"),
    "sim.test": ("测试文本", "Test this text"),
    "sim.test_intro": ("用网关当前的审核器检查一段文本（输入阶段），并列出相似文本库中匹配的条目及相似度；文本不会被保存或记录。",
                       "Check a text with the gateway's current moderator (input stage) and list the similar-text "
                       "entries it matches, with their scores; the text is neither stored nor logged."),
    "sim.test_run": ("检查", "Check"),
    "sim.result": ("检查结果", "Result"),
    "sim.action": ("处置", "Action"),
    "sim.level": ("风险等级", "Risk level"),
    "sim.findings": ("全部检测器的命中", "Findings of every detector"),
    "sim.detector": ("检测器", "Detector"),
    "sim.span": ("命中片段", "Matched span"),
    "sim.no_findings": ("没有命中。", "No findings."),
    "sim.matches": ("相似文本库匹配", "Similar-text library matches"),
    "sim.no_matches": ("没有匹配的条目。", "No entry matches."),
    "sim.how": ("匹配方式", "Match"),
    "sim.score": ("得分", "Score"),
    "sim.jaccard": ("Jaccard 相似度", "Jaccard"),
    "sim.containment": ("包含度", "Containment"),
    "sim.suppressed": ("被白名单抑制", "Suppressed by white entry"),
    "sim.no_moderator": ("网关审核器不可用。", "The gateway's moderator is not available."),
    "flash.sim_added": ("条目已添加，已在网关生效。", "Entry added; it is in effect in the gateway."),
    "flash.sim_removed": ("条目已移除。", "Entry removed."),
    "lexh.title": ("词库变更历史", "Word library history"),
    "lexh.intro": ("自定义词库的每一次添加和移除，最新的在前；版本号为该次变更后的词库版本。",
                   "Every custom term added or removed, newest first; the version is the library's version right "
                   "after the change."),
    "lexh.empty": ("还没有变更。", "No changes yet."),
    "lexh.back": ("返回词库", "Back to the word library"),
    "lexh.term": ("词条", "Term"),
    "lexh.allow": ("白名单（放行）", "allow-list (pass)"),
}
