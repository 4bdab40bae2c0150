"""The evaluation runner: send every bank item to an OpenAI-compatible endpoint and record the answers.

- one chat completion per item (one user message; bias items get their lettered options and an instruction to
  answer with the letter), with the real ``openai`` SDK (``AsyncOpenAI``);
- bounded concurrency, an optional requests-per-minute limit, a per-call timeout, and retries with exponential
  backoff on connection errors, timeouts, 429 and 5xx (never on other 4xx);
- every finished item is appended to ``<output>/records.jsonl`` (one JSON line, flushed and fsync'ed), judged
  first (:mod:`hegui.evaluation.judges`, off the event loop);
- **resume**: a rerun reads ``records.jsonl`` (an unterminated last line, left by a kill mid-write, is cut away),
  skips the ids already recorded and retries the ones recorded with an ``error``; when it starts it compacts the
  file to the latest line per id, so killing the runner and starting it again loses and duplicates nothing;
- ``<output>/run.json`` says what was run (endpoint, model, label, bank path and SHA-256, hegui version, options);
  the API key is never written or logged, nor are prompts or answers logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit, urlunsplit

from hegui import __version__
from hegui.core.errors import HeguiError, InputError
from hegui.evaluation.banks import load_bank
from hegui.evaluation.model import BankItem

if TYPE_CHECKING:
    from hegui.evaluation.judges import Judge

__all__ = [
    "RECORDS", "RUN", "RunOptions", "RunResult", "arun", "build_prompt", "latest_records", "read_records",
    "run_eval", "write_jsonl_atomic",
]

log = logging.getLogger("hegui.evaluation")

RECORDS: Final = "records.jsonl"
RUN: Final = "run.json"
LETTERS: Final = "ABCDEFGHIJ"
_BACKOFF_CAP_S: Final = 30.0


@dataclass(frozen=True)
class RunOptions:
    """How to run. ``rpm``: requests per minute (``None``: unlimited); ``retries``: extra attempts after the
    first; ``timeout``: seconds per call; ``limit``: only the first N items of the bank; ``label``: the record's
    ``target`` (e.g. ``direct`` or ``behind-hegui``)."""

    concurrency: int = 4
    rpm: float | None = None
    retries: int = 3
    timeout: float = 60.0
    limit: int | None = None
    label: str = "direct"
    quiet: bool = False
    backoff_s: float = 0.5  # the first retry waits about this long, then doubles (with jitter), capped at 30 s
    max_tokens: int | None = None
    temperature: float | None = None

    def check(self) -> None:
        bad = []
        if self.concurrency < 1:
            bad.append(("concurrency must be >= 1", "concurrency 必须 >= 1"))
        if self.rpm is not None and self.rpm <= 0:
            bad.append(("rpm must be > 0", "rpm 必须 > 0"))
        if self.retries < 0:
            bad.append(("retries must be >= 0", "retries 必须 >= 0"))
        if self.timeout <= 0:
            bad.append(("timeout must be > 0", "timeout 必须 > 0"))
        if self.limit is not None and self.limit < 0:
            bad.append(("limit must be >= 0", "limit 必须 >= 0"))
        if not self.label.strip():
            bad.append(("label must not be empty", "label 不能为空"))
        if bad:
            raise InputError("; ".join(b[0] for b in bad), "；".join(b[1] for b in bad))


@dataclass(frozen=True)
class RunResult:
    items: int  # items in this run (after --limit)
    skipped: int  # already recorded by an earlier run
    done: int  # recorded without error, now (this run and earlier ones)
    errors: int  # recorded with an error after all retries, now
    output: Path

    @property
    def complete(self) -> bool:
        return self.errors == 0 and self.done == self.items


# ------------------------------------------------------------------------------------------------ the bank


def load_items(path: str | Path) -> list[BankItem]:
    """The bank's items (:func:`hegui.evaluation.banks.load_bank`: JSONL or CSV, validated; errors exit 2)."""
    return load_bank(path)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _lists_options(item: BankItem) -> bool:
    """Whether the prompt already shows the lettered options ("A. ..." on a line of its own, every option)."""
    p = item.prompt
    return bool(re.search(r"(?m)^\s*A\s*[.．、:：)）]", p)) and all(c in p for c in item.choices)


def build_prompt(item: BankItem) -> str:
    """The user message sent for ``item``."""
    if item.kind == "bias" and item.choices:
        letters = LETTERS[: len(item.choices)]
        lines = [item.prompt.rstrip()]
        if not _lists_options(item):  # CBBQ-style prompts carry their options already
            lines += [""] + [f"{letters[i]}. {c}" for i, c in enumerate(item.choices)]
        alts = "、".join(letters) if item.lang.startswith("zh") else ", ".join(letters)
        if item.lang.startswith("zh"):
            lines += ["", f"请只回答一个选项的字母（{alts}）。"]
        else:
            lines += ["", f"Answer with the letter of one option only ({alts})."]
        return "\n".join(lines)
    return item.prompt


# --------------------------------------------------------------------------------------------- the records


def read_records(path: str | Path, *, repair: bool = False) -> list[dict[str, Any]]:
    """Every complete line of a records file, in order. An unterminated last line (a kill mid-write) is ignored,
    and with ``repair`` cut away from the file. A missing file is empty."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        return []
    end = data.rfind(b"\n") + 1
    if end < len(data):
        if repair:
            with p.open("r+b") as f:
                f.truncate(end)
                f.flush()
                os.fsync(f.fileno())
            log.warning("records file had an unterminated last line; cut it away (%d bytes)", len(data) - end)
        data = data[:end]
    out: list[dict[str, Any]] = []
    for n, line in enumerate(data.decode("utf-8", errors="replace").split("\n"), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON ({exc.msg})", f"不是有效的 JSON（{exc.msg}）", path=str(p),
                             line=n) from None
        if not isinstance(rec, dict) or not isinstance(rec.get("id"), str):
            raise InputError('a record needs a string "id"', '记录需要字符串字段 "id"', path=str(p), line=n)
        out.append(rec)
    return out


def latest_records(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The latest record per id (a rerun's line replaces an earlier error), in first-seen order."""
    out: dict[str, dict[str, Any]] = {}
    for r in records:
        out[r["id"]] = r
    return out


def write_jsonl_atomic(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Replace ``path`` with ``rows`` (temporary file + fsync + rename: a kill leaves the old or the new file)."""
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            for r in rows:
                f.write(_line(r))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _line(rec: dict[str, Any]) -> str:
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n"


def _write_json(path: Path, obj: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(obj, f, ensure_ascii=False, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class _Appender:
    """Appends one record a line, flushed and fsync'ed, so a kill loses at most the line being written."""

    def __init__(self, path: Path) -> None:
        self.f: IO[str] = path.open("a", encoding="utf-8", newline="\n")

    def write(self, rec: dict[str, Any]) -> None:
        self.f.write(_line(rec))
        self.f.flush()
        os.fsync(self.f.fileno())

    def close(self) -> None:
        self.f.close()


# ------------------------------------------------------------------------------------------------ the calls


def normalise_endpoint(url: str) -> str:
    """The SDK's base URL: ``http://host:8000`` and ``http://host:8000/`` become ``http://host:8000/v1``; a URL
    with a path (``.../v1``, ``.../openai/v1``) is kept as it is."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"endpoint must be an http(s) URL, not {url!r}", f"endpoint 必须是 http(s) URL，而不是 {url!r}")
    path = parts.path.rstrip("/") or "/v1"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


class _RateLimiter:
    """Spaces the starts of calls at least 60/rpm seconds apart."""

    def __init__(self, rpm: float | None) -> None:
        self.interval = 60.0 / rpm if rpm else 0.0
        self.next = 0.0
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self.lock:
            now = time.monotonic()
            delay = self.next - now
            self.next = max(now, self.next) + self.interval
        if delay > 0:
            await asyncio.sleep(delay)


def _retryable(exc: BaseException) -> tuple[bool, int | None]:
    """(retry?, HTTP status) for an exception from the SDK."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        return status == 429 or status >= 500, status
    if isinstance(exc, (openai.APIConnectionError, asyncio.TimeoutError)):  # APITimeoutError is a connection error
        return True, None
    return False, None


def _error(exc: BaseException, status: int | None) -> dict[str, Any]:
    msg = str(exc) or type(exc).__name__
    return {"type": type(exc).__name__, "message": msg[:500], "status": status}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _base_record(item: BankItem, label: str) -> dict[str, Any]:
    return {"id": item.id, "kind": item.kind, "risk": item.risk, "topic": item.topic, "modality": item.modality,
            "lang": item.lang, "prompt": build_prompt(item), "target": label}


async def _call(client: Any, model: str, item: BankItem, opts: RunOptions, limiter: _RateLimiter) -> dict[str, Any]:
    """Call until success or the retries are spent; the record without judgements."""
    rec = _base_record(item, opts.label)
    extra: dict[str, Any] = {}
    if opts.max_tokens is not None:
        extra["max_tokens"] = opts.max_tokens
    if opts.temperature is not None:
        extra["temperature"] = opts.temperature
    attempts = 0
    while True:
        attempts += 1
        await limiter.wait()
        t0 = time.perf_counter()
        try:
            resp = await client.chat.completions.create(
                model=model, messages=[{"role": "user", "content": rec["prompt"]}], **extra)
        except Exception as exc:
            retry, status = _retryable(exc)
            if retry and attempts <= opts.retries:
                delay = min(_BACKOFF_CAP_S, opts.backoff_s * 2 ** (attempts - 1)) * (0.5 + random.random() / 2)
                log.info("item %s: %s (status %s), retry %d in %.1f s", item.id, type(exc).__name__, status,
                         attempts, delay)
                await asyncio.sleep(delay)
                continue
            log.warning("item %s failed after %d attempt(s): %s (status %s)", item.id, attempts,
                        type(exc).__name__, status)
            rec.update(answer=None, finish_reason=None, error=_error(exc, status), attempts=attempts,
                       latency_ms=None, ts=_now(), hegui=None)
            return rec
        latency = (time.perf_counter() - t0) * 1000
        choice = resp.choices[0] if resp.choices else None
        answer: str | None = None
        finish: str | None = None
        if choice is not None:
            msg = choice.message
            answer = msg.content if msg.content is not None else (getattr(msg, "refusal", None) or "")
            finish = choice.finish_reason
        extra_fields = resp.model_extra or {}
        hegui = extra_fields.get("hegui")
        rec.update(answer=answer, finish_reason=finish, error=None, attempts=attempts, latency_ms=round(latency, 1),
                   ts=_now(), hegui=hegui if isinstance(hegui, dict) else None)
        if choice is None:
            rec["error"] = {"type": "EmptyResponse", "message": "the response has no choices", "status": None}
        return rec


# ------------------------------------------------------------------------------------------------- the run


def _run_info(endpoint: str, model: str, bank: Path, opts: RunOptions, items: int,
              old: dict[str, Any] | None) -> dict[str, Any]:
    now = _now()
    options = {k: v for k, v in asdict(opts).items() if k not in ("label", "quiet")}
    info: dict[str, Any] = {
        "endpoint": endpoint,
        "model": model,
        "label": opts.label,
        "bank": {"path": str(bank), "sha256": _sha256(bank)},
        "items": items,
        "hegui_version": __version__,
        "started": now,
        "updated": now,
        "resumed": 0,
        "options": options,
    }
    if old:
        info["started"] = old.get("started", now)
        info["resumed"] = int(old.get("resumed", 0)) + 1
        if old.get("bank", {}).get("sha256") != info["bank"]["sha256"]:
            info["bank_changed"] = True
    return info


def _check_same_run(old: dict[str, Any], endpoint: str, model: str, label: str) -> None:
    for key, new in (("endpoint", endpoint), ("model", model), ("label", label)):
        if old.get(key) != new:
            raise InputError(
                f"the output directory holds a run with another {key} ({old.get(key)!r}, not {new!r}); "
                "use a new --output directory",
                f"输出目录中已有 {key} 不同的评估（{old.get(key)!r}，而不是 {new!r}）；请换一个 --output 目录",
            )


def _progress(total: int, quiet: bool, label: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="item", file=sys.stderr, disable=quiet or not sys.stderr.isatty(),
                leave=False, dynamic_ncols=True)


async def arun(
    endpoint: str,
    model: str,
    bank: str | Path | Sequence[BankItem],
    output: str | Path,
    *,
    api_key: str | None = None,
    options: RunOptions | None = None,
    judge: Judge | bool | None = True,
    bank_path: str | Path | None = None,
) -> RunResult:
    """Run (or resume) an evaluation; see the module docstring. ``bank``: a bank file or the items themselves
    (then ``bank_path`` names the file for run.json). ``judge``: a loaded :class:`~hegui.evaluation.judges.Judge`,
    ``True`` for a default one, ``False``/``None`` to record answers only (``judge_records`` can judge later)."""
    import openai

    opts = options or RunOptions()
    opts.check()
    base_url = normalise_endpoint(endpoint)
    if isinstance(bank, (str, Path)):
        bank_file = Path(bank)
        items = load_items(bank_file)
    else:
        if bank_path is None:
            raise HeguiError("bank_path is needed when the bank is given as items", "以条目形式给出题库时需要 bank_path")
        bank_file = Path(bank_path)
        items = list(bank)
    if opts.limit is not None:
        items = items[: opts.limit]
    out = Path(output)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output directory ({type(exc).__name__})",
                         f"无法创建输出目录（{type(exc).__name__}）", path=str(out)) from None
    run_path = out / RUN
    old: dict[str, Any] | None = None
    if run_path.exists():
        try:
            old = json.loads(run_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            old = None
        if old is not None:
            _check_same_run(old, base_url, model, opts.label)

    judger: Judge | None = None
    if judge is True:
        from hegui.evaluation.judges import Judge as _Judge

        judger = await asyncio.to_thread(lambda: _Judge().load())
    elif judge:
        judger = judge
    info = _run_info(base_url, model, bank_file, opts, len(items), old)
    if judger is not None:
        info["judges"] = judger.info()
    elif old and "judges" in old:
        info["judges"] = old["judges"]
    _write_json(run_path, info)

    # resume: keep the latest good line per id (and errors of items outside this run); retry the rest
    records_path = out / RECORDS
    raw = read_records(records_path, repair=True)
    latest = latest_records(raw)
    wanted = {it.id for it in items}
    keep = [r for r in latest.values() if not r.get("error") or r["id"] not in wanted]
    if len(keep) != len(raw):
        write_jsonl_atomic(records_path, keep)
    done_ids = {r["id"] for r in keep if not r.get("error")}
    todo = [it for it in items if it.id not in done_ids]
    skipped = len(items) - len(todo)
    log.info("evaluation of %s (%s): %d items, %d already recorded", model, opts.label, len(items), skipped)


    if todo:
        client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key or "EMPTY", max_retries=0,
                                    timeout=opts.timeout)
        limiter = _RateLimiter(opts.rpm)
        sem = asyncio.Semaphore(opts.concurrency)
        appender = _Appender(records_path)
        bar = _progress(len(todo), opts.quiet, opts.label)

        async def one(item: BankItem) -> None:
            async with sem:
                rec = await _call(client, model, item, opts, limiter)
            rec["judgements"] = {}
            if judger is not None and not rec.get("error"):
                try:
                    rec["judgements"] = await asyncio.to_thread(judger.judge, rec, item)
                except Exception as exc:  # recorded unjudged; `judge_records` can judge it later
                    log.error("judging item %s failed: %s", item.id, type(exc).__name__)
            appender.write(rec)
            bar.update(1)

        try:
            await asyncio.gather(*(one(it) for it in todo))
        finally:
            bar.close()
            appender.close()
            await client.close()
            info["updated"] = _now()
            _write_json(run_path, info)
    final = latest_records(read_records(records_path))
    done = sum(1 for i in wanted if i in final and not final[i].get("error"))
    errs = sum(1 for i in wanted if i in final and final[i].get("error"))
    return RunResult(items=len(items), skipped=skipped, done=done, errors=errs, output=out)


def run_eval(endpoint: str, model: str, bank: str | Path, output: str | Path, *, api_key: str | None = None,
             options: RunOptions | None = None, judge: Judge | bool | None = True) -> RunResult:
    """:func:`arun` for synchronous callers."""
    return asyncio.run(arun(endpoint, model, bank, output, api_key=api_key, options=options, judge=judge))
