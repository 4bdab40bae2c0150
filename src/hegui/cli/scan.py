"""``hegui scan``: moderate every record of a JSONL, CSV or text file, streaming, on several cores.

Contract (DESIGN.md, "Stable contracts"): one JSON object a line, in input order:
``{"id": <the input's id field, or the line number>, "action", "risk_level", "categories", "findings"}``.
Exit status 0 on success, 2 on bad arguments or unreadable input. The output file appears only when the whole
input was read: it is written to a temporary file beside it and renamed at the end, so a failed scan leaves
nothing half-written.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import IO, Any

import click

from hegui.cli.main import dumps
from hegui.cli.records import FORMATS, ByteCounter, detect_format, input_size, read_records
from hegui.core.errors import InputError

BATCH = 256

_WORKER: Any = None  # the Moderator of a worker process


def _init_worker(config: str | None, stage: str) -> None:
    global _WORKER
    if _WORKER is not None and _WORKER[1] == stage:  # inherited through fork: already loaded
        return
    from hegui import Moderator

    _WORKER = (Moderator.from_config(config), stage)


def _scan_batch(batch: list[tuple[Any, str]]) -> list[str]:
    moderator, stage = _WORKER
    return [_line(rid, moderator.check(text, stage=stage)) for rid, text in batch]


def _line(rid: Any, decision: Any) -> str:
    return dumps(
        {
            "id": rid,
            "action": decision.action.value,
            "risk_level": decision.risk_level.value,
            "categories": list(decision.categories),
            "findings": [f.to_dict() for f in decision.findings],
        }
    )


def _batches(records: Iterator[tuple[int, Any, str]]) -> Iterator[list[tuple[Any, str]]]:
    batch: list[tuple[Any, str]] = []
    for _lineno, rid, text in records:
        batch.append((rid, text))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


@click.command("scan")
@click.option("--input", "input_path", required=True, help="JSONL, CSV/TSV or text file (.gz/.bz2/.xz too; '-' = stdin). / 输入文件")
@click.option("--output", "output_path", required=True, help="Where to write the JSONL results ('-' = stdout). / 输出文件")
@click.option("--text-field", default="text", show_default=True, help="Field (JSONL) or column (CSV) holding the text. / 文本字段")
@click.option("--id-field", default="id", show_default=True, help="Field or column holding the record id (else the line number). / 编号字段")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help="Input format (default: from the file name). / 输入格式")
@click.option("--stage", type=click.Choice(["input", "output", "file", "corpus"]), default="input", show_default=True,
              help="Which stage's policy applies. / 适用的策略阶段")
@click.option("--config", type=click.Path(dir_okay=False), default=None, help="hegui config file. / 配置文件")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Worker processes (default: all cores). / 并行进程数（默认：全部 CPU 核）")
@click.option("--progress/--no-progress", default=None, help="Show a progress bar (default: on a terminal). / 进度条")
def scan(input_path: str, output_path: str, text_field: str, id_field: str, fmt: str | None, stage: str,
         config: str | None, workers: int | None, progress: bool | None) -> None:
    """Moderate every record of a file; write one JSON decision a line, in input order.

    批量审核文件中的每条记录，按输入顺序逐行输出 JSON 结论。
    例 / example:  hegui scan --input data.jsonl --text-field text --output results.jsonl
    """
    from hegui import Moderator

    fmt = fmt or detect_format(input_path)
    if output_path != "-" and Path(output_path).resolve() == Path(input_path).resolve():
        raise click.BadParameter("the output must not overwrite the input / 输出不能覆盖输入", param_hint="--output")
    workers = workers or (os.cpu_count() or 1)
    # Validate configuration (and fail early) in this process, before any output exists.
    moderator = Moderator.from_config(config)
    counter = ByteCounter()
    records = read_records(input_path, fmt, text_field, id_field, counter)
    total = input_size(input_path)
    bar = _bar(total, progress)

    out, tmp = _open_output(output_path)
    ok = False
    n = 0
    try:
        if workers == 1:
            for rid_batch in _batches(records):
                for rid, text in rid_batch:
                    out.write(_line(rid, moderator.check(text, stage=stage)))
                    out.write("\n")
                n += len(rid_batch)
                bar.update(counter.n - bar.n)
        else:
            global _WORKER
            _WORKER = (moderator, stage)  # forked workers inherit the loaded moderator
            n = _parallel(records, out, workers, config, stage, bar, counter)
        out.flush()
        ok = True
    finally:
        bar.close()
        _close_output(out, tmp, output_path, ok)
    click.echo(f"扫描完成 / scanned: {n} records -> {output_path}", err=True)


def _parallel(records: Iterator[tuple[int, Any, str]], out: IO[str], workers: int, config: str | None, stage: str,
              bar: Any, counter: ByteCounter) -> int:
    n = 0
    window: deque[Future[list[str]]] = deque()
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(config, stage)) as pool:
        try:
            for batch in _batches(records):
                window.append(pool.submit(_scan_batch, batch))
                n += len(batch)
                if len(window) >= workers * 3:  # bounded: memory stays constant
                    _drain_one(window, out)
                    bar.update(counter.n - bar.n)
            while window:
                _drain_one(window, out)
            bar.update(counter.n - bar.n)
        except BaseException:
            for f in window:
                f.cancel()
            raise
    return n


def _drain_one(window: deque[Future[list[str]]], out: IO[str]) -> None:
    lines = window.popleft().result()
    out.write("\n".join(lines))
    out.write("\n")


def _bar(total: int | None, progress: bool | None) -> Any:
    from tqdm import tqdm

    disable = (not sys.stderr.isatty()) if progress is None else (not progress)
    return tqdm(total=total, unit="B", unit_scale=True, desc="scan / 扫描", disable=disable, file=sys.stderr)


def _open_output(path: str) -> tuple[IO[str], str | None]:
    if path == "-":
        return sys.stdout, None
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise InputError("the output's folder does not exist", "输出文件所在目录不存在", path=path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=parent)
    return os.fdopen(fd, "w", encoding="utf-8", newline="\n"), tmp


def _close_output(out: IO[str], tmp: str | None, path: str, ok: bool) -> None:
    if tmp is None:
        return
    out.close()
    if ok:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; the result gets the usual permissions
        os.replace(tmp, path)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
