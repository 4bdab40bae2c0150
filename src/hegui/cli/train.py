"""``hegui train``: rebuild the shipped classifier from its recipe, or train one on your own data."""

from __future__ import annotations

import os
import sys

import click

from hegui.cli.main import dumps

_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@click.command("train")
@click.option("--recipe", "recipe", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Training recipe (YAML); default: the shipped model's recipe. / 训练配方，默认为内置模型的配方")
@click.option("--data", "data", type=click.Path(exists=True, file_okay=False), default=None,
              help="The shared data folder the recipe's sources are read from (e.g. ../shared/data). / 共享数据目录")
@click.option("--output", "-o", "output", type=click.Path(file_okay=False), required=True,
              help="Directory to write model.npz, manifest.json and MODEL_CARD.md to. / 输出目录")
@click.option("--extra-data", "extra", type=click.Path(exists=True, dir_okay=False), multiple=True,
              help='Your own labelled JSONL, {"text", "labels": [codes]} or {"text", "label"} (repeatable). / 自有标注数据')
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary. / 以 JSON 输出摘要")
@click.option("--quiet", "-q", is_flag=True, help="No progress messages. / 不显示进度")
def train(recipe: str | None, data: str | None, output: str, extra: tuple[str, ...], as_json: bool, quiet: bool) -> None:
    """Train the risk classifier from a recipe (deterministic: same inputs, same bytes).

    \b
    Rebuild the shipped model / 重建内置模型:
      hegui train --data ../shared/data --output build/classifier
    Add your own data / 加入自有数据:
      hegui train --data ../shared/data --extra-data mine.jsonl --output my-model
    Use it / 使用: detector `classifier` with params {path: my-model}
    """
    # single-threaded numerics before NumPy does any heavy work (training itself makes no BLAS call)
    for var in _THREAD_VARS:
        os.environ[var] = "1"
    from hegui.detectors.classifier.train import train as run

    def log(msg: str) -> None:
        if not quiet:
            click.echo(msg, err=True)

    res = run(recipe, data, output, list(extra), log=log)
    if as_json:
        click.echo(dumps({"output": str(res.output), "seconds": round(res.seconds, 1), "files": res.files,
                          "metrics": res.manifest["metrics"]["harmful"]["test"]}))
    else:
        h = res.manifest["metrics"]["harmful"]["test"]
        click.echo(f"model / 模型: {res.output}  ({res.seconds:.0f} s)")
        click.echo(f"harmful head on the test split / 测试集: precision {h['precision']}  recall {h['recall']}  "
                   f"AUC {h['auc']}  ECE {h['ece']}")
        for name, digest in res.files.items():
            click.echo(f"  {digest[:16]}  {name}")
    sys.exit(0)
