"""Engines for the corpus audit and the resumable job around them.

* ``local``: a process pool over the shards (``workers``; 1 runs in this process); each worker builds its
  :class:`~hegui.corpus.audit.Checker` once.
* ``ray``: Ray Data over the same shards (``from_items`` + ``map_batches`` with a class-based UDF that builds the
  checker once per actor); ``ray.init(address=...)`` joins a cluster, or starts a local Ray. Ray is imported only
  here, and only when this engine is used.

Both call :func:`~hegui.corpus.audit.audit_shard` on the same shards, so the counts and verdicts are identical.
Each finished shard is written atomically to ``OUT/shards/<id>.json`` (its texts to ``<id>.records.jsonl``
first); a rerun with the same arguments skips those shards, so a killed run resumes without double counting.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from hegui.corpus.audit import SHARD_SCHEMA, AuditOptions, Checker, SourceInfo, UsageError, audit_shard, finalize
from hegui.corpus.readers import Shard, data_files, plan_shards, sha256_file, source_name

__all__ = ["ENGINES", "run_audit", "run_local", "run_ray"]

ENGINES: Final = ("local", "ray")
ResultFn = Callable[[str, dict[str, Any]], None]

_CHECKER: Checker | None = None


def _checker() -> Checker:
    global _CHECKER
    if _CHECKER is None:
        _CHECKER = Checker()
    return _CHECKER


def _work(args: tuple[dict[str, Any], dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    shard = Shard.from_dict(args[0])
    return shard.id, audit_shard(shard, AuditOptions.from_dict(args[1]), _checker())


def run_local(shards: Sequence[Shard], opts: AuditOptions, on_result: ResultFn, *, workers: int | None = None) -> None:
    """Audit ``shards`` with a process pool (``workers`` processes; 1: in this process)."""
    n = max(1, min(workers or os.cpu_count() or 1, len(shards) or 1))
    jobs = [(s.to_dict(), opts.to_dict()) for s in shards]
    if n == 1:
        for job in jobs:
            on_result(*_work(job))
        return
    ctx = mp.get_context("spawn")  # no fork of a process that may hold threads (Ray, tqdm)
    with ctx.Pool(n) as pool:
        for sid, res in pool.imap_unordered(_work, jobs):
            on_result(sid, res)


class _RayAuditor:
    """Ray Data UDF: builds the checker once per actor, audits one shard per row."""

    def __init__(self, opts: dict[str, Any]) -> None:
        self.opts = AuditOptions.from_dict(opts)
        self.checker = Checker()

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        ids: list[str] = []
        payloads: list[str] = []
        for sd in batch["shard"]:
            shard = Shard.from_dict(json.loads(str(sd)))
            ids.append(shard.id)
            payloads.append(json.dumps(audit_shard(shard, self.opts, self.checker), ensure_ascii=False))
        return {"id": np.array(ids, dtype=object), "payload": np.array(payloads, dtype=object)}


def run_ray(
    shards: Sequence[Shard],
    opts: AuditOptions,
    on_result: ResultFn,
    *,
    workers: int | None = None,
    address: str | None = None,
    quiet: bool = False,
) -> None:
    """Audit ``shards`` with Ray Data (``address``: a cluster; default: the running or a new local Ray)."""
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise UsageError("the ray engine needs Ray: pip install 'hegui[corpus-ray]'",
                         "ray 引擎需要 Ray：pip install 'hegui[corpus-ray]'") from exc
    if not shards:
        return
    started = False
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=workers or os.cpu_count() or 1, **kwargs)
        started = True
    try:
        dctx = ray.data.DataContext.get_current()
        dctx.enable_progress_bars = False
        if hasattr(dctx, "print_on_execution_start"):
            dctx.print_on_execution_start = False
        cpus = int(ray.cluster_resources().get("CPU", 1))  # type: ignore[no-untyped-call]
        n = max(1, min(workers or cpus, cpus, len(shards)))
        ds: Any = ray.data.from_items([{"shard": json.dumps(s.to_dict())} for s in shards], override_num_blocks=len(shards))
        ds = ds.map_batches(
            _RayAuditor, fn_constructor_kwargs={"opts": opts.to_dict()}, batch_size=1, concurrency=n, num_cpus=1,
            batch_format="numpy",
        )
        for batch in ds.iter_batches(batch_size=1, batch_format="numpy", prefetch_batches=0):
            for sid, payload in zip(batch["id"], batch["payload"], strict=True):
                on_result(str(sid), json.loads(str(payload)))
    finally:
        if started:
            ray.shutdown()


# --- the resumable job ----------------------------------------------------------------------------------------------


def _write_atomic(path: Path, data: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _write_shard(shard_dir: Path, sid: str, res: dict[str, Any], fingerprint: str) -> None:
    records = res.pop("records")
    _write_atomic(shard_dir / f"{sid}.records.jsonl",
                  "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    res["fingerprint"] = fingerprint
    _write_atomic(shard_dir / f"{sid}.json", json.dumps(res, ensure_ascii=False))  # last: marks the shard done


def _done(shard_dir: Path, sid: str, fingerprint: str) -> bool:
    p = shard_dir / f"{sid}.json"
    if not p.exists() or not (shard_dir / f"{sid}.records.jsonl").exists():
        return False
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(d.get("fingerprint") == fingerprint and d.get("schema") == SHARD_SCHEMA)


def _inputs(inputs: Sequence[str | Path]) -> list[dict[str, Any]]:
    out = []
    for inp in inputs:
        root = Path(inp).resolve()
        files = data_files(root)
        out.append({
            "path": str(root),
            "source": source_name(root),
            "files": [{"path": str(f), "bytes": f.stat().st_size, "sha256": sha256_file(f)} for f in files],
        })
    return out


def _progress(total: int, initial: int, quiet: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, disable=quiet, file=sys.stderr, unit="shard", desc="corpus audit",
                dynamic_ncols=True)


def run_audit(
    inputs: Sequence[str | Path],
    out: str | Path,
    opts: AuditOptions,
    *,
    engine: str = "local",
    workers: int | None = None,
    ray_address: str | None = None,
    sources_file: str | Path | None = None,
    lookup: Callable[[str], SourceInfo | None] | None = None,
    quiet: bool = True,
    version: str = "",
) -> dict[str, Any]:
    """Plan, run (skipping finished shards) and finalise an audit into ``out``; return the summary."""
    from hegui.corpus.audit import load_sources

    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}; use local or ray", f"未知引擎 {engine!r}；请使用 local 或 ray")
    if not inputs:
        raise UsageError("give at least one INPUT", "请至少给出一个输入")
    sources: Mapping[str, SourceInfo] = load_sources(sources_file) if sources_file else {}
    ins = _inputs(inputs)
    shards = plan_shards(inputs, txt_per_line=opts.txt_per_line, shard_bytes=opts.shard_bytes)
    args = {
        "inputs": [{"path": i["path"], "files": [[f["path"], f["sha256"]] for f in i["files"]]} for i in ins],
        "options": opts.to_dict(),
        "sources_file": None if not sources_file else sha256_file(sources_file),
    }
    fingerprint = hashlib.sha256(json.dumps(args, sort_keys=True).encode()).hexdigest()
    out_dir = Path(out)
    run_file = out_dir / "run.json"
    if run_file.exists():
        try:
            prev = json.loads(run_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            prev = {}
        if prev.get("fingerprint") != fingerprint:
            raise UsageError(
                f"{out_dir} holds an audit with different arguments (inputs, options or sources file); "
                "use another --output folder, or the same arguments to resume",
                f"{out_dir} 中已有参数不同（输入、选项或来源文件）的审计；请换一个 --output 目录，或用相同参数续跑",
            )
    elif out_dir.exists() and any(out_dir.iterdir()):
        raise UsageError(f"{out_dir} is not empty and holds no audit (run.json); use an empty or new folder",
                         f"{out_dir} 非空且不是审计输出目录（无 run.json）；请使用空目录或新目录")
    shard_dir = out_dir / "shards"
    shard_dir.mkdir(parents=True, exist_ok=True)
    if not run_file.exists():
        _write_atomic(run_file, json.dumps({"fingerprint": fingerprint, "args": args}, ensure_ascii=False, indent=1))
    pending = [s for s in shards if not _done(shard_dir, s.id, fingerprint)]
    bar = _progress(len(shards), len(shards) - len(pending), quiet)

    def on_result(sid: str, res: dict[str, Any]) -> None:
        _write_shard(shard_dir, sid, res, fingerprint)
        bar.update(1)

    try:
        if engine == "ray":
            run_ray(pending, opts, on_result, workers=workers, address=ray_address, quiet=quiet)
        else:
            run_local(pending, opts, on_result, workers=workers)
    finally:
        bar.close()
    meta = {
        "hegui_version": version,
        "engine": engine,
        "seed": opts.seed,
        "inputs": ins,
        "sources_file": None if not sources_file else {"path": str(Path(sources_file).resolve()),
                                                         "sha256": args["sources_file"]},
        "resumed_shards": len(shards) - len(pending),
    }
    return finalize(out_dir, [s.id for s in shards], opts, sources, meta, lookup=lookup)


def iter_shard_ids(out: Path) -> Iterator[str]:
    for p in sorted((out / "shards").glob("*.json")):
        yield p.stem
