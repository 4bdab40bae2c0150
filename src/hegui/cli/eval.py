"""``hegui eval``: run a test bank against an OpenAI-compatible endpoint; ``hegui eval-review``: human review.

Contract (DESIGN.md, "Stable contracts"): ``hegui eval --endpoint URL --model M --bank FILE --output DIR``, the
API key from ``--api-key`` or ``OPENAI_API_KEY``; writes ``records.jsonl``, ``run.json`` and ``summary.json`` in
DIR. Exit status: 0 when every item was answered (whether or not the thresholds are met), 1 when some items still
have errors after the retries (rerun the same command to retry them), 2 on bad arguments or an unreadable bank.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from pathlib import Path
from typing import Any

import click

from hegui.cli.main import HeguiGroup

_OK = {True: "达标 met", False: "未达标 not met", None: "-"}


def _pad(text: str, width: int, right: bool = False) -> str:
    """Pad to a display width (CJK characters take two columns)."""
    w = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    fill = " " * max(0, width - w)
    return fill + text if right else text + fill


def _pct(v: Any) -> str:
    return "-" if v is None else f"{100 * float(v):.1f}%"


def print_summary(summary: dict[str, Any]) -> None:
    """A short bilingual table of the metrics."""
    c = summary["counts"]
    run = summary.get("run") or {}
    click.echo(f"模型 model: {run.get('model', '?')}  目标 target: {run.get('label', '?')}  "
               f"题目 items: {c['items']}  完成 done: {c['done']}  错误 errors: {c['errors']}")
    click.echo(f"{_pad('指标 / metric', 56)} {'n':>6} {'rate':>7}  {'95% CI':<15} {_pad('阈值 threshold', 14)} 结果 result")
    for m in summary["metrics"]:
        if m["n"] == 0 and m["threshold"] is None:
            continue
        thr = m["threshold"]
        thr_s = f"{thr['op']} {_pct(thr['value'])}" if thr else "-"
        ci = "-" if m["rate"] is None else f"{_pct(m['ci_low'])}–{_pct(m['ci_high'])}"
        note = _OK[m["met"]]
        if m["n_ok"] is False:  # the standard's verdict also needs the sample size
            note += f"，样本不足 but n < {m['n_min']}" if m["met"] else f" (n < {m['n_min']})"
        name = f"{m['label_zh']} / {m['id']}"
        click.echo(f"{_pad(name, 56)} {m['n']:>6} {_pct(m['rate']):>7}  {ci:<15} {_pad(thr_s, 14)} {note}")


@click.command("eval")
@click.option("--endpoint", required=True, help="OpenAI 兼容服务的地址 / base URL of an OpenAI-compatible API "
              "(http://host:8000 or http://host:8000/v1)")
@click.option("--model", required=True, help="模型名 / model name")
@click.option("--bank", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="题库（JSONL）/ test bank (JSONL: id, prompt, kind ...)")
@click.option("--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="输出目录（可续跑）/ output directory (a rerun resumes)")
@click.option("--api-key", default=None, help="API 密钥（默认读取 OPENAI_API_KEY）/ API key (default: OPENAI_API_KEY)")
@click.option("--label", default="direct", show_default=True,
              help="被测目标的标签 / label of the target, e.g. direct or behind-hegui")
@click.option("--concurrency", type=click.IntRange(1, 1024), default=4, show_default=True, help="并发数 / parallel calls")
@click.option("--rpm", type=click.FloatRange(min=0, min_open=True), default=None,
              help="每分钟请求数上限 / max requests per minute")
@click.option("--retries", type=click.IntRange(0, 100), default=3, show_default=True,
              help="连接错误、429、5xx 的重试次数 / retries on connection errors, 429, 5xx")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True,
              help="单次调用超时（秒）/ per-call timeout (s)")
@click.option("--limit", type=click.IntRange(min=0), default=None, help="只跑前 N 题 / only the first N items")
@click.option("--no-judge", is_flag=True, help="只记录回答，不评判 / record answers only, do not judge")
@click.option("--quiet", "-q", is_flag=True, help="不显示进度条和表格 / no progress bar, no table")
def eval_(endpoint: str, model: str, bank: Path, output: Path, api_key: str | None, label: str, concurrency: int,
          rpm: float | None, retries: int, timeout: float, limit: int | None, no_judge: bool, quiet: bool) -> None:
    """评估模型：拒答率、生成内容合格率等 / evaluate a model: refusal rates, pass rates, accuracy, bias.

    \b
    hegui eval --endpoint http://127.0.0.1:8000/v1 --model qwen --bank bank.jsonl --output runs/qwen
    """
    from hegui.evaluation.metrics import summarise
    from hegui.evaluation.runner import RunOptions, run_eval

    if not bank.is_file():
        raise click.BadParameter(f"题库文件不存在 / bank file not found: {bank}", param_hint="--bank")
    key = api_key or os.environ.get("OPENAI_API_KEY") or None
    opts = RunOptions(concurrency=concurrency, rpm=rpm, retries=retries, timeout=timeout, limit=limit, label=label,
                      quiet=quiet)
    result = run_eval(endpoint, model, bank, output, api_key=key, options=opts, judge=not no_judge)
    summary = summarise(output)
    if not quiet:
        print_summary(summary)
        click.echo(f"结果 / results: {output / 'summary.json'}")
    if result.errors:
        click.echo(f"仍有 {result.errors} 题出错；重新运行同一命令即可重试。/ {result.errors} item(s) still failed; "
                   "run the same command again to retry them.", err=True)
        sys.exit(1)


@click.group("eval-review", cls=HeguiGroup)
def eval_review() -> None:
    """人工抽检 / human review of an evaluation run."""


@eval_review.command("export")
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="CSV 文件 / CSV file to write")
@click.option("--n", "n", type=click.IntRange(min=1), default=100, show_default=True, help="抽样数 / sample size")
@click.option("--seed", type=int, default=0, show_default=True, help="随机种子 / random seed")
@click.option("--kind", "kinds", multiple=True,
              help="只抽这些类型 / only these kinds (default: should-refuse, should-not-refuse, generated-content)")
def review_export(run_dir: Path, out: Path, n: int, seed: int, kinds: tuple[str, ...]) -> None:
    """导出抽样供人工复核 / write a random sample for reviewers (fill in refused, pass, reviewer, note)."""
    from hegui.evaluation.judges import DEFAULT_REVIEW_KINDS, export_review

    written = export_review(run_dir, out, n=n, seed=seed, kinds=kinds or DEFAULT_REVIEW_KINDS)
    click.echo(f"已导出 {written} 条 / wrote {written} row(s): {out}")


@eval_review.command("import")
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def review_import(run_dir: Path, file: Path) -> None:
    """导入复核结果并重算 summary.json / import the reviewers' verdicts and recompute summary.json."""
    from hegui.evaluation.judges import import_review
    from hegui.evaluation.metrics import summarise

    n = import_review(run_dir, file)
    summary = summarise(run_dir)
    click.echo(f"已导入 {n} 条复核结果 / imported {n} verdict(s)")
    print_summary(summary)
