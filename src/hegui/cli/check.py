"""``hegui check``: moderate one text and show the decision with its evidence."""

from __future__ import annotations

import sys

import click

from hegui.cli.main import _lang, dumps
from hegui.core.errors import InputError
from hegui.core.taxonomy import get_risk, is_risk_code
from hegui.core.types import Action, Decision, Finding, RiskLevel

_ACTION_ZH = {Action.PASS: "通过", Action.REVIEW: "人工复核", Action.REDACT: "脱敏后放行", Action.BLOCK: "拦截"}
_ACTION_COLOUR = {Action.PASS: "green", Action.REVIEW: "yellow", Action.REDACT: "cyan", Action.BLOCK: "red"}
_LEVEL_ZH = {RiskLevel.NONE: "无", RiskLevel.LOW: "低", RiskLevel.MEDIUM: "中", RiskLevel.HIGH: "高"}


def mark_spans(text: str, findings: tuple[Finding, ...] | list[Finding]) -> str:
    """The text with every finding's span highlighted (overlapping spans merged)."""
    spans = sorted((f.span.start, f.span.end) for f in findings if f.span is not None and f.span.end > f.span.start)
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out: list[str] = []
    pos = 0
    for s, e in merged:
        out.append(text[pos:s])
        out.append(click.style(text[s:e], fg="red", bold=True, underline=True))
        pos = e
    out.append(text[pos:])
    return "".join(out)


def _risk_name(code: str, lang: str) -> str:
    if not is_risk_code(code):
        return code
    r = get_risk(code)
    if lang.startswith("zh"):
        return r.zh
    if lang.startswith("en"):
        return r.en
    return f"{r.zh} / {r.en}"


def render(text: str, d: Decision, lang: str = "") -> str:
    zh_only, en_only = lang.startswith("zh"), lang.startswith("en")

    def label(zh: str, en: str) -> str:
        return zh if zh_only else en if en_only else f"{zh} / {en}"

    colour = _ACTION_COLOUR[d.action]
    action = d.action.value if en_only else f"{_ACTION_ZH[d.action]} {d.action.value}" if not zh_only else _ACTION_ZH[d.action]
    level = d.risk_level.value if en_only else _LEVEL_ZH[d.risk_level] if zh_only else f"{_LEVEL_ZH[d.risk_level]} {d.risk_level.value}"
    lines = [
        f"{label('文本', 'text')}: {mark_spans(text, d.findings)}",
        f"{label('结论', 'action')}: {click.style(action, fg=colour, bold=True)}    {label('风险等级', 'risk level')}: {level}",
    ]
    if d.categories:
        lines.append(f"{label('类别', 'categories')}:")
        lines.extend(f"  {c}  {_risk_name(c, lang)}" for c in d.categories)
    if d.findings:
        lines.append(f"{label('证据', 'evidence')}:")
        for f in d.findings:
            where = f"[{f.span.start},{f.span.end})" if f.span else "(whole text)"
            shown = text[f.span.start : f.span.end] if f.span else ""
            extra = f" {f.kind}" if f.kind else ""
            lines.append(
                f"  {where:>12} {f.detector:<8} {f.risk:<8} {f.severity.value:<6} {f.score:.2f}{extra}  "
                f"{click.style(shown, fg='red')}  ← {f.evidence}"
            )
    if d.reasons:
        lines.append(f"{label('原因', 'reasons')}: " + "; ".join(d.reasons))
    if d.replacement is not None:
        key = label("安全回答", "safe answer") if d.action is Action.BLOCK else label("脱敏文本", "redacted text")
        lines.append(f"{key}: {d.replacement}")
    if d.detectors_failed:
        failed = ", ".join(f"{f.detector} ({f.error})" for f in d.detectors_failed)
        lines.append(click.style(f"{label('未运行的检测器', 'detectors that failed')}: {failed}", fg="red"))
    lines.append(
        click.style(f"{label('检测器', 'detectors')}: {', '.join(d.detectors_run) or '-'}  ({d.elapsed_ms:.2f} ms)", dim=True)
    )
    return "\n".join(lines)


@click.command("check")
@click.argument("text", required=False)
@click.option("--stage", type=click.Choice(["input", "output", "stream_chunk", "file", "corpus"]), default="input",
              show_default=True, help="Where the text is: a prompt (input) or a model answer (output). / 文本所处阶段")
@click.option("--config", "config", type=click.Path(dir_okay=False), default=None,
              help="hegui config file (default: the shipped lexicon, PII detector and policy). / 配置文件")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON. / 以 JSON 输出")
@click.option("--lang", type=click.Choice(["zh", "en", "both"]), default=None,
              help="Language of the report and of the safe answer. / 输出语言")
@click.option("--exit-code", is_flag=True, help="Exit 1 when the action is block. / 拦截时以状态 1 退出")
def check(text: str | None, stage: str, config: str | None, as_json: bool, lang: str | None, exit_code: bool) -> None:
    """Moderate TEXT (or standard input when TEXT is '-' or missing) and explain the decision.

    审核一段文本，并显示结论与证据。例 / example:  hegui check "我想看色.情片"
    """
    from hegui import Moderator

    if text is None or text == "-":
        if sys.stdin.isatty() and text is None:
            raise click.UsageError("give TEXT, or pipe text on standard input / 请提供文本，或通过标准输入传入")
        raw = sys.stdin.buffer.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"standard input is not valid UTF-8 (byte {exc.start})", f"标准输入不是有效的 UTF-8（第 {exc.start} 字节）"
            ) from None
    ui_lang = "" if lang == "both" else (lang or _lang())
    moderator = Moderator.from_config(config)
    decision = moderator.check(text, stage=stage, lang=(lang if lang in ("zh", "en") else None))
    if as_json:
        click.echo(dumps(decision.to_dict()))
    else:
        click.echo(render(text, decision, ui_lang))
    if exit_code and decision.action is Action.BLOCK:
        sys.exit(1)


@click.command("id-check")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON. / 以 JSON 输出")
def id_check(number: str, as_json: bool) -> None:
    """Validate a mainland resident ID number (GB 11643): checksum, region code, birth date.

    校验居民身份证号码。Exit 0 valid, 1 invalid. / 有效返回 0，无效返回 1。
    """
    from hegui.detectors.pii import validate_resident_id

    result = validate_resident_id(number)
    if as_json:
        click.echo(dumps(result.to_dict()))
    else:
        click.echo(result.describe(_lang()))
    sys.exit(0 if result.valid else 1)
