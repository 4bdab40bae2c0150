"""``hegui lexicon``: inspect word libraries (coverage against the NS App. B.1.1 floors, test a text)."""

from __future__ import annotations

import sys

import click

from hegui.cli.main import _lang, dumps


@click.group("lexicon")
def lexicon() -> None:
    """Word libraries: coverage per risk, and which entries a text hits. / 词库：覆盖情况与命中测试"""


def _detector(paths: tuple[str, ...], no_default: bool, homophones: bool) -> object:
    from hegui.detectors.lexicon.detector import LexiconDetector

    det = LexiconDetector(paths=list(paths) or None, include_default=not no_default, homophones=homophones)
    det.load()
    return det


@lexicon.command("coverage")
@click.option("--library", "paths", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A library file to add (repeatable). / 追加的词库文件")
@click.option("--no-default", is_flag=True, help="Leave the shipped default library out. / 不含默认词库")
@click.option("--json", "as_json", is_flag=True, help="Print JSON. / 以 JSON 输出")
def coverage(paths: tuple[str, ...], no_default: bool, as_json: bool) -> None:
    """Entries per risk code against the floors (≥ 10,000 in all; ≥ 200 per A1.x, ≥ 100 per A2.x).

    Exit 1 when a floor is not met. / 未达到下限时以状态 1 退出。
    """
    from hegui.detectors.lexicon.detector import LexiconDetector

    det = _detector(paths, no_default, False)
    assert isinstance(det, LexiconDetector)
    cov = det.coverage()
    if as_json:
        out = cov.as_dict()
        out["version"] = det.version
        click.echo(dumps(out))
    else:
        zh = _lang().startswith("zh")
        en = _lang().startswith("en")
        click.echo(f"library / 词库: {det.version}   entries / 条目: {cov.total}   allow-list / 白名单: {det.allow_size}")
        click.echo(f"{'risk':<20} {'terms':>6} {'rules':>6} {'total':>6} {'floor':>6}  name")
        for r in cov.rows:
            if r.count == 0 and r.floor == 0:
                continue
            mark = click.style("✓", fg="green") if r.ok else click.style("✗", fg="red")
            name = r.zh if zh else r.en if en else f"{r.zh} / {r.en}"
            click.echo(f"{r.risk:<20} {r.terms:>6} {r.rules:>6} {r.count:>6} {r.floor:>6} {mark} {name}")
        mark = click.style("✓", fg="green") if cov.total_refusal_scope >= cov.total_floor else click.style("✗", fg="red")
        click.echo(f"{'A1+A2 total':<20} {'':>6} {'':>6} {cov.total_refusal_scope:>6} {cov.total_floor:>6} {mark}")
    sys.exit(0 if cov.ok else 1)


@lexicon.command("test")
@click.argument("text")
@click.option("--library", "paths", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A library file to add (repeatable). / 追加的词库文件")
@click.option("--no-default", is_flag=True, help="Leave the shipped default library out. / 不含默认词库")
@click.option("--homophones", is_flag=True, help="Also fold homophones. / 同音字归一")
def test_text(text: str, paths: tuple[str, ...], no_default: bool, homophones: bool) -> None:
    """Show which library entries TEXT hits, on the original spans. / 显示文本命中的词条"""
    from hegui.core.types import Stage
    from hegui.detectors.base import DetectContext
    from hegui.detectors.lexicon.detector import LexiconDetector

    det = _detector(paths, no_default, homophones)
    assert isinstance(det, LexiconDetector)
    findings = det.detect(text, DetectContext(stage=Stage.INPUT))
    if not findings:
        click.echo("no hits / 未命中")
    for f in findings:
        assert f.span is not None
        click.echo(dumps({"span": [f.span.start, f.span.end], "text": text[f.span.start:f.span.end], **f.to_dict()}))
