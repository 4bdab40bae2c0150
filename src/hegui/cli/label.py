"""``hegui label`` and ``hegui inspect``: GB 45438 labels on files (DESIGN.md, "Stable contracts").

    hegui label INPUT -o OUTPUT --producer CODE [--produce-id ID]     one file
    hegui label A.png B.mp3 C.pdf -o OUTDIR --producer CODE            several files (OUTDIR), with a progress bar
    hegui inspect FILE [--json]                                         every label found; exit 1 if not compliant
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

__all__ = ["inspect", "label"]


def _bi(zh: str, en: str) -> str:
    return f"{zh} / {en}"


@click.command("label")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", "output", required=True, type=click.Path(path_type=Path),
              help="output file, or a folder when several inputs are given / 输出文件（多个输入时为目录）")
@click.option("--producer", required=True, help="the provider's code (ContentProducer) / 服务提供者编码")
@click.option("--produce-id", "produce_id", default=None, help="the content's id (ProduceID); default: generated / 内容编号")
@click.option("--no-explicit", is_flag=True, help="metadata (implicit) label only / 仅写入隐式标识")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", help="wording of the explicit label / 显式标识语言")
@click.option("--propagate", is_flag=True,
              help="distribution mode: keep the producer's fields, add ours as propagator / 传播模式：保留生成方字段，写入传播方字段")
def label(inputs: tuple[Path, ...], output: Path, producer: str, produce_id: str | None, no_explicit: bool,
          lang: str, propagate: bool) -> None:
    """Write the explicit and implicit AI-generated labels (GB 45438) / 写入显式与隐式标识。

    The written file is read back before it is kept; a file whose label does not read back is not released.
    """
    from tqdm import tqdm

    from hegui.labeling import label_file

    many = len(inputs) > 1
    if many:
        output.mkdir(parents=True, exist_ok=True)
        if produce_id is not None:
            raise click.UsageError(_bi("多个文件时不能指定同一个 --produce-id", "--produce-id cannot be shared by several files"))
    failed = 0
    for src in tqdm(inputs, disable=not many or not sys.stderr.isatty(), unit="file", desc="label"):
        dst = output / src.name if many else output
        try:
            res = label_file(src, dst, producer=producer, produce_id=produce_id, explicit=not no_explicit, lang=lang,
                             mode="propagate" if propagate else "produce",
                             propagator=producer if propagate else None)
        except FileNotFoundError:
            click.echo(_bi(f"找不到文件：{src}", f"file not found: {src}"), err=True)
            failed += 1
            continue
        except Exception as exc:
            from hegui.core.errors import HeguiError

            if not isinstance(exc, HeguiError):
                raise
            click.echo(f"{src}: {exc.bilingual()}", err=True)
            failed += 1
            continue
        click.echo(f"{src} -> {res.path}  {res.label.to_json()}")
    if failed:
        sys.exit(2)


@click.command("inspect")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="machine-readable / 以 JSON 输出")
@click.option("--lang", type=click.Choice(["zh", "en", "both"]), default="both")
def inspect(file: Path, as_json: bool, lang: str) -> None:
    """Report every AI-generated label in FILE and whether it complies (exit 1 if not) / 检查文件中的标识是否合规。"""
    from hegui.core.errors import HeguiError
    from hegui.labeling import inspect_file

    try:
        report = inspect_file(file)
    except HeguiError as exc:  # unsupported or unreadable file: not a compliance verdict
        click.echo(exc.bilingual(), err=True)
        sys.exit(2)
    if as_json:
        out: dict[str, Any] = report.to_dict()
        click.echo(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        if lang in ("zh", "both"):
            click.echo(report.describe("zh"))
        if lang in ("en", "both"):
            click.echo(report.describe("en"))
    sys.exit(0 if report.compliant else 1)
