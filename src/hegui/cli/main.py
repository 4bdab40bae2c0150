"""The ``hegui`` command line.

Exit status: 0 success, 1 a check found what it looks for (where documented), 2 bad arguments or unreadable input.
Messages are bilingual (zh-CN first, then English) unless ``--lang`` or ``HEGUI_LANG`` picks one.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from hegui import __version__
from hegui.core.errors import HeguiError


def _lang() -> str:
    return os.environ.get("HEGUI_LANG", "")


def fail(exc: HeguiError) -> None:
    """Print a hegui error in the chosen language(s) and exit with its status."""
    lang = _lang()
    msg = exc.message(lang) if lang else exc.bilingual()
    click.echo(click.style("error / 错误: ", fg="red", bold=True) + msg, err=True)
    sys.exit(exc.exit_code)


class HeguiGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except HeguiError as exc:
            fail(exc)


@click.group(cls=HeguiGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hegui")
def cli() -> None:
    """hegui (合规): compliance toolkit for generative-AI services under China's rules.

    \b
    内容审核 / moderation:   hegui check "文本"      hegui scan --input F --output O
    身份证校验 / ID check:    hegui id-check NUMBER
    词库 / word library:      hegui lexicon coverage
    分类模型 / classifier:    hegui train --data ../shared/data --output DIR
    网关 / gateway:           hegui serve [--config F] [--host H] [--port P]
    审计 / audit log:         hegui audit verify      hegui log purge
    标识 / AIGC labels:       hegui label IN -o OUT --producer CODE      hegui inspect FILE
    测试题库 / test banks:    hegui bank list      hegui bank check FILE...
    评估 / evaluation:        hegui eval --endpoint URL --model M --bank FILE --output DIR
    报告 / report:            hegui report RUN_DIR... -o OUT_DIR
    训练数据 / training data: hegui corpus audit INPUT... --output DIR [--engine local|ray]
                              hegui corpus sources add|list|export
    标注 / annotation:        hegui annotation check BATCH... [--rules F]
    """


def _register() -> None:
    from hegui.cli.annotation import annotation
    from hegui.cli.audit import audit, log
    from hegui.cli.bank import bank
    from hegui.cli.check import check, id_check
    from hegui.cli.console import console
    from hegui.cli.corpus import corpus
    from hegui.cli.eval import eval_, eval_review
    from hegui.cli.label import inspect, label
    from hegui.cli.lexicon import lexicon
    from hegui.cli.report import report
    from hegui.cli.scan import scan
    from hegui.cli.serve import serve
    from hegui.cli.train import train

    for command in (check, id_check, scan, lexicon, train, serve, audit, log, label, inspect, eval_, eval_review, bank, report,
                    annotation, corpus, console):
        cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    _register()
    cli.main(args=argv, prog_name="hegui")


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
