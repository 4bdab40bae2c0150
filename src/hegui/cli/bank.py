"""``hegui bank``: evaluation test banks (check coverage against the standard's minimums, import, list)."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

import click

from hegui.cli.main import _lang, dumps


@click.group("bank")
def bank() -> None:
    """Evaluation test banks: coverage check, import, shipped banks. / 评估测试题库：覆盖检查、导入、内置题库"""


def _label(zh: str, en: str) -> str:
    lang = _lang()
    if lang.startswith("zh"):
        return zh
    if lang.startswith("en"):
        return en
    return f"{zh} / {en}"


@bank.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--modalities", default="text", show_default=True,
              help="Output modalities the service declares, comma-separated. / 服务声明的输出模态（逗号分隔）")
@click.option("--today", default=None, help="Date for the cadence check (YYYY-MM-DD). / 更新周期检查所用日期")
@click.option("--json", "as_json", is_flag=True, help="Print JSON. / 以 JSON 输出")
def check(files: tuple[str, ...], modalities: str, today: str | None, as_json: bool) -> None:
    """Check bank FILEs (JSONL or CSV) against the minimums of NS App. B.1.2/B.1.3.

    Exit 0 when every minimum is met, 1 when something falls short, 2 on unreadable input.
    全部达标时退出状态为 0，有不足时为 1，输入无法读取时为 2。
    """
    from hegui.core.errors import ConfigError
    from hegui.evaluation.banks import load_banks
    from hegui.evaluation.coverage import check_coverage
    from hegui.evaluation.model import MODALITIES

    mods = tuple(m.strip() for m in modalities.split(",") if m.strip())
    bad = [m for m in mods if m not in MODALITIES]
    if bad:
        raise ConfigError(f"unknown modality {bad[0]!r}; use {', '.join(MODALITIES)}",
                          f"未知模态 {bad[0]!r}；请使用 {'、'.join(MODALITIES)}")
    day = None
    if today:
        try:
            day = date.fromisoformat(today)
        except ValueError:
            raise ConfigError(f"--today {today!r} is not a date (YYYY-MM-DD)",
                              f"--today {today!r} 不是日期（YYYY-MM-DD）") from None
    items = load_banks(files)
    report = check_coverage(items, modalities=mods, today=day)
    if as_json:
        click.echo(dumps(report.as_dict()))
        sys.exit(0 if report.ok else 1)
    zh_only, en_only = _lang().startswith("zh"), _lang().startswith("en")
    click.echo(_label("题库", "banks") + ": " + ", ".join(f"{k} {n}" for k, n in report.totals.items()))
    if report.ok:
        click.echo(click.style("✓ ", fg="green") + _label("全部最低要求均已满足", "every minimum is met"))
        sys.exit(0)
    click.echo(f"{'kind':<18} {'scope':<9} {'key':<10} {'need':>5} {'have':>5}  " + _label("说明", "message"))
    for s in report.shortfalls:
        msg = s.zh if zh_only else s.en if en_only else f"{s.zh} / {s.en}"
        have = "-" if s.actual is None else str(s.actual)
        click.echo(f"{s.kind:<18} {s.scope:<9} {s.key or '':<10} {s.required:>5} {have:>5}  "
                   + click.style("✗ ", fg="red") + msg)
    click.echo(_label(f"共 {len(report.shortfalls)} 项不足", f"{len(report.shortfalls)} shortfall(s)"))
    sys.exit(1)


@bank.command("import")
@click.argument("src", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "dst", required=True, type=click.Path(dir_okay=False),
              help="Normalised JSONL to write. / 输出的规范化 JSONL 文件")
@click.option("--kind", default=None, help="Kind for items without one. / 未注明类型的条目所用类型")
@click.option("--source", default=None, help="Source for items without one. / 未注明来源的条目所用来源")
@click.option("--version", "version", default=None, help="Version (ISO date) for items without one. / 版本日期")
def import_(src: str, dst: str, kind: str | None, source: str | None, version: str | None) -> None:
    """Convert a CSV or JSONL bank SRC into normalised JSONL. / 将 CSV 或 JSONL 题库转换为规范化 JSONL"""
    from hegui.evaluation.banks import import_bank

    n = import_bank(src, dst, kind=kind, source=source, version=version)
    click.echo(_label(f"已写入 {n} 条到 {dst}", f"wrote {n} items to {dst}"))


@bank.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON. / 以 JSON 输出")
def list_(as_json: bool) -> None:
    """The starter banks shipped with hegui, with counts. / 内置的起步题库及条目数"""
    from hegui.evaluation.banks import iter_bank, shipped_banks

    rows: list[dict[str, Any]] = []
    for kind, path in shipped_banks().items():
        items = list(iter_bank(path))
        versions = sorted({it.version for it in items if it.version})
        sources = sorted({it.source for it in items if it.source})
        rows.append({"kind": kind, "path": str(path), "items": len(items),
                     "version": versions[-1] if versions else None, "sources": sources})
    if as_json:
        click.echo(dumps(rows))
        return
    for r in rows:
        click.echo(f"{r['kind']:<18} {r['items']:>6}  {r['version'] or '-':<10}  {r['path']}")
        for s in r["sources"]:
            click.echo(f"{'':<27}{s}")
