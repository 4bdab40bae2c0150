"""``hegui corpus audit INPUT... --output DIR``: audit training-data sources (R-DAT-01/02/04/06/08, R-EVL-07).

Stable contract (DESIGN.md): ``DIR/summary.json`` (machine-readable) beside ``DIR/report.html``; also
``DIR/accepted/<source>.jsonl``, ``DIR/rejected.jsonl``, ``DIR/review_sample.jsonl`` and ``DIR/shards/`` (resume).
Exit status: 0 when the audit ran (whatever the verdicts), 2 on bad arguments or unreadable inputs.
"""

from __future__ import annotations

import os
from typing import Any

import click

from hegui.cli.main import HeguiGroup, _lang

__all__ = ["corpus"]


def _label(zh: str, en: str) -> str:
    lang = _lang()
    return zh if lang.startswith("zh") else en if lang.startswith("en") else f"{zh} / {en}"


@click.group(cls=HeguiGroup)
def corpus() -> None:
    """语料 / training corpora: audits by source (R-DAT-*, R-EVL-07)."""


def _ledger_lookup(config: str | None, store_url: str | None) -> tuple[Any, Any]:
    """``(lookup(name) -> SourceInfo | None, provenance service)`` from the ledger."""
    from hegui.cli.corpus_sources import _open
    from hegui.corpus.audit import SourceInfo

    services = _open(config, store_url, must_exist=False)
    prov = services.provenance

    def lookup(name: str) -> SourceInfo | None:
        src = prov.find_source(name)
        if src is None:
            return None
        lic = src.licence or src.licence_file or src.contract_ref
        return SourceInfo(licence=lic, consent=src.consent_basis, origin=src.origin, type=src.kind, from_="ledger")

    return lookup, prov


@corpus.command("audit")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=True, file_okay=True))
@click.option("--output", "-o", "output", required=True, type=click.Path(file_okay=False),
              help="output folder (summary.json, report.html, accepted/, rejected.jsonl) / 输出目录")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: process pool; ray: Ray Data (laptop or cluster) / 执行引擎")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="processes or Ray actors (default: CPUs)")
@click.option("--ray-address", default=None, help="Ray cluster address (default: a local Ray) / Ray 集群地址")
@click.option("--seed", type=int, default=0, show_default=True, help="sampling seed / 抽样随机种子")
@click.option("--fraction", type=float, default=0.10, show_default=True,
              help="technical-check fraction (R-EVL-07: >= 0.10) / 技术抽检比例")
@click.option("--full", is_flag=True, help="check 100 %% of the records / 全量检查")
@click.option("--sample-per-source", type=click.IntRange(min=0), default=4000, show_default=True,
              help="review sample per source (R-EVL-07: >= 4000, or the whole source) / 每来源人工复核样本数")
@click.option("--text-field", default=None,
              help="text column; a comma list tries each in turn (default: text,content,TEXT,prompt,question)")
@click.option("--source-field", default=None, help="take the source name from this column / 来源字段")
@click.option("--sources", "sources_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="YAML: per-source licence, consent, origin / 来源许可、同意依据与出处")
@click.option("--txt-per-line", is_flag=True, help="in .txt files, one document per line (default: per file)")
@click.option("--shard-mb", type=float, default=64.0, show_default=True, help="split large JSONL/.txt files (MB)")
@click.option("--allow-restricted-licences", is_flag=True,
              help="accept non-commercial / no-derivatives licences (the model is not offered commercially) / "
                   "接受非商业、禁止演绎许可（模型不用于商业服务时）")
@click.option("--ledger", is_flag=True, help="look sources up in the provenance ledger and record the result")
@click.option("--config", default=None, type=click.Path(dir_okay=False), help="hegui config (for --ledger's store)")
@click.option("--store-url", default=None, help="the store (for --ledger)")
@click.option("--quiet", "-q", is_flag=True, help="no progress bar / 不显示进度条")
def audit_cmd(
    inputs: tuple[str, ...],
    output: str,
    engine: str,
    workers: int | None,
    ray_address: str | None,
    seed: int,
    fraction: float,
    full: bool,
    sample_per_source: int,
    text_field: str | None,
    source_field: str | None,
    sources_file: str | None,
    txt_per_line: bool,
    shard_mb: float,
    allow_restricted_licences: bool,
    ledger: bool,
    config: str | None,
    store_url: str | None,
    quiet: bool,
) -> None:
    """审计训练语料 / Audit training-data sources: keyword + classifier layers, PII and consent, licence,
    duplicates; a source is rejected when its bad ratio is > 5 % (R-DAT-01/02).

    \b
    hegui corpus audit data/a.jsonl.gz data/b/ --output audit/ --sources sources.yaml
    hegui corpus audit data/ --output audit/ --engine ray --ray-address ray://head:10001
    """
    from hegui import __version__
    from hegui.corpus.audit import AuditOptions, UsageError
    from hegui.corpus.engines import run_audit
    from hegui.corpus.readers import DEFAULT_TEXT_FIELDS

    if full and fraction != 0.10:
        raise UsageError("use either --fraction or --full", "--fraction 与 --full 只能二选一")
    fields = tuple(f.strip() for f in text_field.split(",") if f.strip()) if text_field else DEFAULT_TEXT_FIELDS
    if shard_mb <= 0:
        raise UsageError("--shard-mb must be positive", "--shard-mb 须为正数")
    opts = AuditOptions(seed=seed, fraction=1.0 if full else fraction, full=full, sample_per_source=sample_per_source,
                        text_fields=fields, source_field=source_field, txt_per_line=txt_per_line,
                        shard_bytes=int(shard_mb * (1 << 20)), allow_restricted_licences=allow_restricted_licences)
    lookup = prov = None
    if ledger:
        lookup, prov = _ledger_lookup(config, store_url)
    summary = run_audit(
        inputs, output, opts, engine=engine, workers=workers, ray_address=ray_address, sources_file=sources_file,
        lookup=lookup, quiet=quiet, version=__version__,
    )
    if prov is not None:
        _record(prov, summary, output)
    _table(summary, output)


def _record(prov: Any, summary: dict[str, Any], output: str) -> None:
    """Record each source's result in the ledger (counts only)."""
    from hegui.core.errors import HeguiError

    for name, v in summary["sources"].items():
        if v["checked"] == 0 or prov.find_source(name) is None:
            continue
        bad = v["bad"]
        try:
            prov.record_audit(name, {
                "stage": "post", "engine": summary["engine"], "seed": summary["seed"], "items": v["readable"],
                "sampled": v["checked"], "bad": v["bad_n"],
                "bad_by_check": {k: bad[k] for k in ("keyword", "classifier", "duplicate")}
                | {"pii": bad["pii_without_consent"]},
                "report_path": os.path.join(os.path.abspath(output), "summary.json"),
            })
        except HeguiError as exc:
            click.echo(_label("账本记录失败", "ledger record failed") + f" ({name}): {exc.en}", err=True)


def _table(summary: dict[str, Any], output: str) -> None:
    head = [_label("来源", "source"), _label("记录", "records"), _label("已检", "checked"), _label("不良", "bad"),
            _label("比例", "ratio"), "95% CI", _label("结论", "verdict"), _label("原因", "reasons")]
    rows = []
    for name, v in summary["sources"].items():
        ci = v["bad_ratio_ci95"]
        ratio = "—" if v["bad_ratio"] is None else f"{v['bad_ratio'] * 100:.2f}%"
        rows.append([
            name, str(v["records"]), str(v["checked"]), str(v["bad_n"]), ratio,
            "—" if ci is None else f"{ci[0] * 100:.1f}–{ci[1] * 100:.1f}%",
            _label("接受", "accept") if v["verdict"] == "accept" else _label("拒绝", "reject"),
            ",".join(v["reasons"]),
        ])
    widths = [max(_w(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        click.echo("  ".join(c + " " * (widths[i] - _w(c)) for i, c in enumerate(r)).rstrip())
    t = summary["technical"]
    rate = "—" if t["pass_rate"] is None else f"{t['pass_rate'] * 100:.2f}%"
    cov = "—" if t["coverage"] is None else f"{t['coverage'] * 100:.1f}%"
    verdict = _label("通过", "pass") if t["verdict"] == "pass" else _label("不通过", "fail")
    click.echo(f"{_label('技术抽检', 'technical check')} (R-EVL-07): {_label('覆盖', 'coverage')} {cov}, "
               f"{_label('合格率', 'pass rate')} {rate}: {verdict}")
    click.echo(f"{_label('报告', 'report')}: {os.path.join(output, 'report.html')}  summary.json")


def _w(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in s)


def _attach_sources() -> None:
    """``hegui corpus sources ...``: the provenance ledger's commands (hegui.cli.corpus_sources)."""
    from hegui.cli.corpus_sources import sources

    corpus.add_command(sources)


_attach_sources()
