"""``hegui report``: the security self-assessment report and the transparency document (HTML, PDF, JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("report")
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output directory. / 输出目录")
@click.option("--coverage", type=click.Path(dir_okay=False, path_type=Path),
              help="Bank coverage report (JSON). / 题库覆盖报告（JSON）")
@click.option("--attest", type=click.Path(dir_okay=False, path_type=Path),
              help="Provider attestations (YAML: ID -> {status, evidence}). / 提供方声明（YAML）")
@click.option("--transparency", type=click.Path(dir_okay=False, path_type=Path),
              help="Provider transparency facts (YAML). / 提供方透明度信息（YAML）")
@click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path),
              help="Provenance-ledger export (hegui corpus sources export) for the training-data facts. / "
                   "来源台账导出文件，用于训练数据信息")
@click.option("--service", default=None, help="Service name on the title page. / 封面上的服务名称")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the texts (headings are always bilingual). / 正文语言（标题始终双语）")
@click.option("--no-pdf", is_flag=True, help="Write HTML and JSON only. / 只输出 HTML 与 JSON")
def report(run_dirs: tuple[Path, ...], out_dir: Path, coverage: Path | None, attest: Path | None,
           transparency: Path | None, ledger: Path | None, service: str | None, lang: str, no_pdf: bool) -> None:
    """Write report.html/.pdf, transparency.html/.pdf and report.json from `hegui eval` run directories.

    \b
    The last RUN_DIR is the service assessed; earlier ones are shown for comparison
    (e.g. hegui report runs/direct runs/behind-hegui -o out).
    最后一个 RUN_DIR 为评估对象，其余用于对比。退出状态：0 成功，2 输入无效。
    """
    import datetime as _dt

    from hegui.evaluation.report import (
        build_json,
        load_coverage,
        load_run,
        load_transparency,
        merge_transparency,
        read_structured,
        render_html,
        render_pdf,
        render_transparency_html,
        transparency_from_ledger,
    )
    from hegui.evaluation.requirements import assess, load_attest

    runs = [load_run(d) for d in run_dirs]  # errors name the file, exit 2
    cov = load_coverage(coverage) if coverage else None
    att = load_attest(read_structured(attest, "attestation", "声明"), str(attest)) if attest else None
    info = None
    if transparency:
        info, missing = load_transparency(read_structured(transparency, "transparency", "透明度"), str(transparency))
    if ledger:  # the ledger fills the training-data facts the provider's file leaves empty
        info = merge_transparency(info, transparency_from_ledger(read_structured(ledger, "ledger", "台账"), str(ledger)))
    if info is not None:
        info, missing = load_transparency(info, str(transparency or ledger))
        if missing:
            click.echo("note / 提示: to be supplied / 待提供: " + ", ".join(missing), err=True)
    created = _dt.date.today().isoformat()
    items = assess([r.summary for r in runs], coverage=cov, attest=att)
    html = render_html(run_dirs, coverage=cov, transparency=info, lang=lang, service=service, created=created,
                       assessments=items)
    t_html = render_transparency_html(info, lang=lang, created=created, path=str(transparency or "<none>"))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.html").write_text(html, encoding="utf-8")
    (out_dir / "transparency.html").write_text(t_html, encoding="utf-8")
    data = build_json(runs, items, coverage=cov, created=created)
    (out_dir / "report.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    written = ["report.html", "transparency.html", "report.json"]
    if not no_pdf:
        render_pdf(html, out_dir / "report.pdf")
        render_pdf(t_html, out_dir / "transparency.pdf")
        written += ["report.pdf", "transparency.pdf"]
    c = data["counts"]
    click.echo(f"{out_dir}: {', '.join(written)}")
    click.echo(f"met / 符合 {c['met']}  not met / 不符合 {c['not_met']}  not applicable / 不适用 {c['not_applicable']}  "
               f"not assessed / 未评估 {c['not_assessed']}")
