"""``hegui annotation``: annotation batch checks (role separation, sampled verification, acceptance, rule sets,
qualifications), agreement between annotators, and grading of annotator exams."""

from __future__ import annotations

import json
import sys
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

import click

from hegui.cli.main import _lang, dumps

FORMATS = ("auto", "labelstudio", "csv")


@click.group("annotation")
def annotation() -> None:
    """Annotation quality: batch checks, agreement, annotator exams. / 数据标注质量：批次检查、一致性、标注员考核"""


def _label(zh: str, en: str) -> str:
    lang = _lang()
    if lang.startswith("zh"):
        return zh
    if lang.startswith("en"):
        return en
    return f"{zh} / {en}"


def _num(x: float | None, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f}%"


def _date(value: str | None, option: str) -> date | None:
    from hegui.core.errors import ConfigError

    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{option} {value!r} is not a date (YYYY-MM-DD)",
                          f"{option} {value!r} 不是日期（YYYY-MM-DD）") from None


@annotation.command("check")
@click.argument("batch_files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="Input format. / 输入格式")
@click.option("--rules", type=click.Path(dir_okay=False), default=None,
              help="Rule-set YAML file (versions). / 标注规则集 YAML 文件（含版本）")
@click.option("--qualifications", type=click.Path(dir_okay=False), default=None,
              help="Annotator qualification registry (JSON/YAML). / 标注员资格登记文件")
@click.option("--sample", type=click.IntRange(min=1), default=None,
              help="Items sampled per functional batch (default: all). / 每个功能标注批次的抽样条数（默认全部）")
@click.option("--seed", type=int, default=0, show_default=True, help="Sampling seed. / 抽样随机种子")
@click.option("--gold", type=click.Path(dir_okay=False), default=None,
              help="Gold labels (CSV item_id,label or JSON). / 金标准标签")
@click.option("--risk-field", default=None,
              help="Item field holding the risk code of safety items. / 安全标注条目中风险代码所在字段")
@click.option("--pass-mark", type=click.FloatRange(0, 1), default=0.9, show_default=True,
              help="Exam pass mark for qualifications. / 资格考核合格线")
@click.option("--today", default=None, help="Date for annotations without one (YYYY-MM-DD). / 无日期标注所用日期")
@click.option("--json", "as_json", is_flag=True, help="Print JSON. / 以 JSON 输出")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Write summary.json and report.html here. / 将 summary.json 和 report.html 写入此目录")
def check(batch_files: tuple[str, ...], fmt: str, rules: str | None, qualifications: str | None, sample: int | None,
          seed: int, gold: str | None, risk_field: str | None, pass_mark: float, today: str | None, as_json: bool,
          out_dir: str | None) -> None:
    """Check annotation BATCH_FILEs (Label Studio JSON export or CSV).

    Exit 0 when every batch is accepted, 1 when any batch is rejected, 2 on bad input.
    全部批次通过时退出状态为 0，有批次被拒收时为 1，输入有误时为 2。
    """
    from hegui.annotation.checks import check_batches, load_qualifications, load_rules
    from hegui.annotation.formats import load_batches, load_gold

    day = _date(today, "--today")
    batches = load_batches(batch_files, fmt)
    report = check_batches(
        batches,
        rules=load_rules(rules) if rules else None,
        qualifications=load_qualifications(qualifications) if qualifications else None,
        gold=load_gold(gold) if gold else None,
        sample=sample, seed=seed, risk_field=risk_field, today=day, pass_mark=pass_mark)
    summary = report.as_dict()
    if out_dir:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (out / "report.html").write_text(_html(summary), encoding="utf-8")
    if as_json:
        click.echo(dumps(summary))
        sys.exit(0 if report.ok else 1)
    zh_only, en_only = _lang().startswith("zh"), _lang().startswith("en")

    def msg(f: dict[str, Any]) -> str:
        return str(f["zh"] if zh_only else f["en"] if en_only else f"{f['zh']}\n      {f['en']}")

    click.echo(f"{'batch':<16} {'kind':<10} {'items':>5} {'verified':>8} {'failed':>6} {'fail%':>6} "
               f"{'accuracy [95% CI]':<22} {'kappa':>6} {'alpha':>6}  " + _label("结论", "verdict"))
    for b in summary["batches"]:
        v, a = b["verification"], b["agreement"]
        ci = v["accuracy_ci95"]
        acc = "-" if v["accuracy"] is None else f"{_num(v['accuracy'])} [{_num(ci[0])}, {_num(ci[1])}]"
        kappa = a["cohen"] if a["cohen"] is not None else a["fleiss"]
        verdict = (click.style("✓ ", fg="green") + _label("通过", "accepted") if b["verdict"] == "accepted"
                   else click.style("✗ ", fg="red") + _label("拒收", "rejected"))
        click.echo(f"{b['batch'][:16]:<16} {b['kind']:<10} {b['items']:>5} {v['verified']:>8} {v['failed']:>6} "
                   f"{_pct(v['failure_share']):>6} {acc:<22} {_num(kappa):>6} {_num(a['alpha']):>6}  {verdict}")
        for f in b["findings"]:
            mark = click.style("✗", fg="red") if f["severity"] == "error" else click.style("!", fg="yellow")
            click.echo(f"  {mark} [{f['requirement']}] {msg(f)}")
    for f in summary["findings"]:
        mark = click.style("✗", fg="red") if f["severity"] == "error" else click.style("!", fg="yellow")
        click.echo(f"{mark} [{f['requirement']}] {msg(f)}")
    click.echo(_label(f"通过 {summary['accepted']} 批，拒收 {summary['rejected']} 批",
                      f"{summary['accepted']} batch(es) accepted, {summary['rejected']} rejected"))
    if out_dir:
        click.echo(_label(f"报告已写入 {out_dir}", f"report written to {out_dir}"))
    sys.exit(0 if report.ok else 1)


def _html(summary: dict[str, Any]) -> str:
    from hegui.annotation.checks import ANNOTATION
    from hegui.evaluation.charts import BarRow, bar_chart

    limit = float(ANNOTATION["batch_fail_max"])
    rows = [BarRow(b["batch"], b["verification"]["failure_share"], b["verification"]["verified"], b["batch"])
            for b in summary["batches"]]
    chart = bar_chart(rows, chart_id="failure-share", title="不合格率 / failure share", threshold=limit, op="<=")
    body = []
    for b in summary["batches"]:
        v, a = b["verification"], b["agreement"]
        ci = v["accuracy_ci95"]
        kappa = a["cohen"] if a["cohen"] is not None else a["fleiss"]
        reasons = "".join(f"<li class=\"{escape(f['severity'])}\">[{escape(f['requirement'])}] {escape(f['zh'])}<br>"
                          f"{escape(f['en'])}</li>" for f in b["findings"])
        verdict = "通过 / accepted" if b["verdict"] == "accepted" else "拒收 / rejected"
        body.append(
            f"<tr class=\"{escape(b['verdict'])}\"><td>{escape(b['batch'])}</td><td>{escape(b['kind'])}</td>"
            f"<td>{escape(str(b['rule_set'] or '-'))}</td><td>{b['items']}</td><td>{v['verified']}</td>"
            f"<td>{v['failed']}</td><td>{_pct(v['failure_share'])}</td>"
            f"<td>{_num(v['accuracy'])}{'' if not ci else f' [{_num(ci[0])}, {_num(ci[1])}]'}</td>"
            f"<td>{_num(kappa)}</td><td>{_num(a['alpha'])}</td><td>{verdict}</td></tr>"
            + (f"<tr><td colspan=\"11\"><ul>{reasons}</ul></td></tr>" if reasons else ""))
    general = "".join(f"<li class=\"{escape(f['severity'])}\">[{escape(f['requirement'])}] {escape(f['zh'])}<br>"
                      f"{escape(f['en'])}</li>" for f in summary["findings"])
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>标注批次检查 / Annotation batch check</title>
<style>
body{{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:2em;color:#263238}}
table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #cfd8dc;padding:4px 8px;text-align:left}}
tr.rejected td:last-child{{color:#c62828;font-weight:bold}}tr.accepted td:last-child{{color:#2e7d32}}
li.error{{color:#c62828}}li.warning{{color:#e65100}}
</style></head><body>
<h1>标注批次检查 / Annotation batch check</h1>
<p>通过 {summary['accepted']} 批，拒收 {summary['rejected']} 批 / {summary['accepted']} accepted,
{summary['rejected']} rejected. 不合格率上限 / failure limit: {limit:.0%} (GB/T 45674 §8.3; R-ANN-05).</p>
<table><thead><tr><th>批次 / batch</th><th>类型 / kind</th><th>规则集 / rule set</th><th>条目 / items</th>
<th>已核验 / verified</th><th>不合格 / failed</th><th>不合格率 / fail %</th><th>准确率 [95% CI] / accuracy</th>
<th>kappa</th><th>alpha</th><th>结论 / verdict</th></tr></thead>
<tbody>{''.join(body)}</tbody></table>
<h2>不合格率 / Failure share</h2>
{chart}
{f'<h2>其他发现 / Other findings</h2><ul>{general}</ul>' if general else ''}
</body></html>
"""


@annotation.command("agreement")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="Input format. / 输入格式")
@click.option("--json", "as_json", is_flag=True, help="Print JSON. / 以 JSON 输出")
def agreement(file: str, fmt: str, as_json: bool) -> None:
    """Agreement between annotators per batch: percent, Cohen's/Fleiss' kappa, Krippendorff's alpha.
    / 各批次标注员间一致性：一致率、Cohen/Fleiss kappa、Krippendorff alpha"""
    from hegui.annotation.agreement import batch_agreement
    from hegui.annotation.formats import load_batches

    rows = {b.id: batch_agreement(b).as_dict() for b in load_batches([file], fmt)}
    if as_json:
        click.echo(dumps(rows))
        return
    click.echo(f"{'batch':<16} {'items':>5} {'multi':>5} {'raters':>6} {'agree%':>7} {'cohen':>6} {'fleiss':>6} "
               f"{'alpha':>6}")
    for bid, r in rows.items():
        click.echo(f"{bid[:16]:<16} {r['items']:>5} {r['multi_rated']:>5} {r['annotators']:>6} {_pct(r['percent']):>7} "
                   f"{_num(r['cohen']):>6} {_num(r['fleiss']):>6} {_num(r['alpha']):>6}")
        for note in r["notes"]:
            click.echo(f"  ! {note}")


@annotation.command("qualify")
@click.argument("exam", type=click.Path(dir_okay=False))
@click.option("--gold", required=True, type=click.Path(dir_okay=False),
              help="Exam key: CSV question,answer. / 试题答案（CSV：question,answer）")
@click.option("--pass-mark", type=click.FloatRange(0, 1), default=0.9, show_default=True,
              help="Share of correct answers needed. / 合格所需正确率")
@click.option("--date", "on", default=None, help="Exam date (YYYY-MM-DD; default today). / 考核日期（默认今天）")
@click.option("--valid-days", type=click.IntRange(min=1), default=365, show_default=True,
              help="Days a pass stays valid. / 资格有效天数")
@click.option("-o", "--output", "dst", required=True, type=click.Path(dir_okay=False),
              help="Qualification registry (JSON) to write. / 输出的资格登记文件（JSON）")
def qualify_(exam: str, gold: str, pass_mark: float, on: str | None, valid_days: int, dst: str) -> None:
    """Grade annotators' EXAM (CSV annotator,question,answer) and write the registry of those who passed.
    / 评阅标注员考核答卷，并为合格者写入资格登记"""
    from hegui.annotation.checks import qualification_registry, qualify
    from hegui.annotation.formats import load_exam, load_exam_gold

    day = _date(on, "--date") or date.today()
    results = qualify(load_exam(exam), load_exam_gold(gold), pass_mark)
    registry = qualification_registry(results, day, valid_days)
    Path(dst).write_text(json.dumps(registry, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for r in sorted(results.values(), key=lambda r: r.annotator):
        mark = click.style("✓", fg="green") if r.passed else click.style("✗", fg="red")
        click.echo(f"{mark} {r.annotator:<16} {r.correct}/{r.total} = {r.score:.0%}  "
                   + (_label("合格", "passed") if r.passed else _label("不合格", "failed")))
    click.echo(_label(f"{len(registry)}/{len(results)} 人合格，已写入 {dst}",
                      f"{len(registry)}/{len(results)} passed; wrote {dst}"))
