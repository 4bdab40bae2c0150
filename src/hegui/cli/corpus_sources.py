"""``hegui corpus sources add|list|show|exclude|include|record-audit|diversity|export``: the training-data
provenance ledger (see :mod:`hegui.services.provenance` and docs/provenance.md).

``sources`` is a click group meant to be attached under ``hegui corpus`` (``corpus.add_command(sources)``).
The store is found like ``hegui audit`` finds it: ``--store-url``, else the config file / ``HEGUI_STORE_URL``,
else SQLite in the data directory (``HEGUI_DATA_DIR``, default ``.hegui``).
Exit status: 0 success, 1 ``diversity`` found gaps, 2 bad arguments, unreadable input or an unknown source.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from hegui.cli.main import HeguiGroup, _lang, dumps
from hegui.core.errors import InputError

if TYPE_CHECKING:
    from hegui.services import Services

__all__ = ["sources"]

F = TypeVar("F", bound=Callable[..., Any])


def _label(zh: str, en: str) -> str:
    lang = _lang()
    return zh if lang.startswith("zh") else en if lang.startswith("en") else f"{zh} / {en}"


def _open(config: str | None, store_url: str | None, *, must_exist: bool) -> Services:
    from hegui.gateway.settings import load_settings
    from hegui.services import Services, store_exists

    settings = load_settings(config)
    url = store_url or settings.store_url
    if must_exist and not store_exists(url):
        raise InputError("the store does not exist (add a source first)", "存储不存在（请先登记来源）", path=url)
    return Services.open(
        url, secret_key=settings.secret_key, data_dir=settings.data_dir,
        retention_days=settings.logging.retention_days, checkpoint_every=settings.audit.checkpoint_every,
        content_log=settings.logging.content_log, echo=settings.store.echo,
    )


def _store_options(f: F) -> F:
    f = click.option("--store-url", default=None,
                     help="Store URL (default: from the config, or SQLite in the data directory). / 存储地址")(f)
    f = click.option("--config", type=click.Path(dir_okay=False), default=None,
                     help="hegui config file (default: built-in settings). / 配置文件")(f)
    return f


def _time(value: str | None, option: str) -> datetime | None:
    """An ISO 8601 date or time; without an offset it is read as UTC."""
    if value is None:
        return None
    try:
        t = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 date/time: {value!r} / 不是 ISO 8601 日期或时间",
                                 param_hint=option) from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


def _metadata_fields(pairs: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in pairs:
        role, sep, field = p.partition("=")
        if not sep or not role.strip() or not field.strip():
            raise click.BadParameter(f"use ROLE=FIELD (e.g. url=meta.url), not {p!r} / 格式应为 角色=字段",
                                     param_hint="--sample-field")
        out[role.strip()] = field.strip()
    return out


@click.group("sources", cls=HeguiGroup)
def sources() -> None:
    """The training-data provenance ledger: where every training sample comes from (R-PTD-02, R-DAT-01..04).

    训练数据来源台账：记录每条训练数据的来源、授权与抽检结论（R-PTD-02、R-DAT-01..04）。
    """


@sources.command("add")
@_store_options
@click.option("--name", required=True, help="Unique source name. / 来源名称（唯一）")
@click.option("--kind", required=True,
              help="web | dataset | organisation | user_service | self_collected | ai_generated. / 来源类型")
@click.option("--url", default=None, help="Web address (web sources: required). / 网址")
@click.option("--dataset", default=None, help="Dataset name. / 数据集名称")
@click.option("--organisation", default=None, help="Source organisation. / 来源机构")
@click.option("--service-name", default=None, help="Service the user data comes from (user_service). / 服务名称")
@click.option("--licence", default=None, help="Licence: SPDX id or name. / 许可证（SPDX 标识或名称）")
@click.option("--licence-file", default=None, help="Path or URL of the licence or authorisation. / 许可或授权文件")
@click.option("--contract", "contract_ref", default=None, help="Contract reference. / 合同编号")
@click.option("--consent", "consent_basis", default=None,
              help="none | consent | separate_consent | public | contract | other: basis for personal or user data. "
                   "/ 同意依据")
@click.option("--consent-note", default=None, help="Description of the basis (required for 'other'). / 依据说明")
@click.option("--personal-info", "contains_personal_info", is_flag=True,
              help="The data contains personal information. / 含个人信息")
@click.option("--sensitive-pi", "contains_sensitive_pi", is_flag=True,
              help="The data contains sensitive personal information. / 含敏感个人信息")
@click.option("--robots/--no-robots", "honours_robots", default=None,
              help="The crawl honoured robots.txt. / 采集是否遵守 robots.txt")
@click.option("--ip-review", default=None, help="IP review record (reference). / 知识产权审查记录")
@click.option("--language", "languages", multiple=True, help="Language tag, repeatable (zh, en ...). / 语种，可重复")
@click.option("--modality", "modalities", multiple=True,
              help="text | image | audio | video | code, repeatable (default: text). / 模态，可重复（默认 text）")
@click.option("--origin", default="domestic", show_default=True,
              help="domestic | foreign. / 境内或境外来源")
@click.option("--collected-at", default=None, help="When collected (ISO 8601; no offset = UTC). / 采集时间")
@click.option("--collection-start", default=None, help="Collection period start (ISO 8601). / 采集起始时间")
@click.option("--collection-end", default=None, help="Collection period end (ISO 8601). / 采集结束时间")
@click.option("--generator-model", default=None, help="AI-generated data: the model. / 生成模型")
@click.option("--generator-version", default=None, help="AI-generated data: the model version. / 生成模型版本")
@click.option("--acquired-at", default=None, help="AI-generated data: when acquired (ISO 8601). / 获取时间")
@click.option("--sample-field", "sample_fields", multiple=True, metavar="ROLE=FIELD",
              help="Which sample field carries which provenance item, e.g. url=meta.url. / 样本元数据字段")
@click.option("--notes", default=None, help="Free-text notes. / 备注")
def add(config: str | None, store_url: str | None, sample_fields: tuple[str, ...], languages: tuple[str, ...],
        modalities: tuple[str, ...], collected_at: str | None, collection_start: str | None,
        collection_end: str | None, acquired_at: str | None, **fields: Any) -> None:
    """Record a new data source; refused when the evidence its kind needs is missing.

    登记一个数据来源；缺少该类型所需的证明材料时拒绝登记。
    例 / example:  hegui corpus sources add --name wiki-zh --kind dataset --dataset zhwiki --licence CC-BY-SA-4.0 --language zh
    """
    from hegui.services.provenance import KIND_ZH

    spec: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
    spec.update(
        languages=list(languages), modalities=list(modalities) or ["text"],
        collected_at=_time(collected_at, "--collected-at"),
        collection_start=_time(collection_start, "--collection-start"),
        collection_end=_time(collection_end, "--collection-end"),
        acquired_at=_time(acquired_at, "--acquired-at"),
        sample_metadata_fields=_metadata_fields(sample_fields),
    )
    services = _open(config, store_url, must_exist=False)
    try:
        src = services.provenance.add_source(spec)
    finally:
        services.close()
    click.echo(_label(f"已登记来源 {src.name}（{KIND_ZH.get(src.kind, src.kind)}）",
                      f"source {src.name} recorded ({src.kind})"))


@sources.command("list")
@_store_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON. / 以 JSON 输出")
def list_(config: str | None, store_url: str | None, as_json: bool) -> None:
    """List the recorded sources. / 列出已登记的数据来源。"""
    services = _open(config, store_url, must_exist=True)
    try:
        rows = services.provenance.list_sources()
    finally:
        services.close(checkpoint=False)
    if as_json:
        click.echo(dumps([r.to_dict() for r in rows]))
        return
    if not rows:
        click.echo(_label("台账为空", "no sources recorded"))
    for r in rows:
        state = r.status if r.active else f"{r.status}: {r.excluded_reason}"
        verdicts = f"pre={r.pre_verdict or '-'} post={r.post_verdict or '-'}"
        click.echo(f"{r.name}\t{r.kind}\t{r.origin}\t{','.join(r.languages) or '-'}\t{','.join(r.modalities)}\t"
                   f"{r.licence or r.licence_file or '-'}\t{verdicts}\t{state}")


@sources.command("show")
@_store_options
@click.argument("name")
def show(config: str | None, store_url: str | None, name: str) -> None:
    """Show one source as JSON: the record, its audits and its sample metadata schema.

    以 JSON 显示一个来源：记录、抽检历史与样本元数据模式。
    """
    services = _open(config, store_url, must_exist=True)
    try:
        src = services.provenance.get_source(name)
        out = {**src.to_dict(), "audits_run": [a.to_dict() for a in services.provenance.audits(name)],
               "sample_metadata_schema": services.provenance.metadata_schema(name)}
    finally:
        services.close(checkpoint=False)
    click.echo(json.dumps(out, ensure_ascii=False, indent=2))


@sources.command("exclude")
@_store_options
@click.argument("name")
@click.option("--reason", required=True, help="Why the source is excluded from training. / 排除原因")
def exclude(config: str | None, store_url: str | None, name: str, reason: str) -> None:
    """Exclude a source from training. / 将来源排除出训练数据。"""
    services = _open(config, store_url, must_exist=True)
    try:
        services.provenance.exclude_source(name, reason)
    finally:
        services.close()
    click.echo(_label(f"已排除来源 {name}", f"source {name} excluded"))


@sources.command("include")
@_store_options
@click.argument("name")
def include(config: str | None, store_url: str | None, name: str) -> None:
    """Put an excluded source back (refused while an assessment of it is over 5 %).

    恢复已排除的来源（抽检不合格率超过 5% 时拒绝）。
    """
    services = _open(config, store_url, must_exist=True)
    try:
        services.provenance.include_source(name)
    finally:
        services.close()
    click.echo(_label(f"已恢复来源 {name}", f"source {name} included again"))


@sources.command("record-audit")
@_store_options
@click.argument("name")
@click.option("--result", "result_file", type=click.Path(dir_okay=False), default=None,
              help="JSON file with the audit result (sampled, bad, bad_by_check, run_id ...). / 抽检结果 JSON 文件")
@click.option("--stage", type=click.Choice(["pre", "post"]), default=None,
              help="pre: before collection (R-DAT-01); post: after (R-DAT-02, default). / 阶段")
@click.option("--sampled", type=click.IntRange(min=1), default=None, help="Items sampled. / 抽样数")
@click.option("--bad", type=click.IntRange(min=0), default=None, help="Items found bad. / 不合格数")
def record_audit(config: str | None, store_url: str | None, name: str, result_file: str | None, stage: str | None,
                 sampled: int | None, bad: int | None) -> None:
    """Record an audit of a source; more than 5 % bad excludes it from training.

    记录一次来源抽检；不合格率超过 5% 时该来源被排除出训练数据。
    例 / example:  hegui corpus sources record-audit wiki-zh --stage pre --sampled 4000 --bad 12
    """
    result: dict[str, Any] = {}
    if result_file is not None:
        try:
            loaded = json.loads(Path(result_file).read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", f"无法读取：{exc.strerror}", path=result_file) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"not valid JSON: {exc}", f"不是有效的 JSON：{exc}", path=result_file) from None
        if not isinstance(loaded, dict):
            raise InputError("the audit result must be a JSON object", "抽检结果须为 JSON 对象", path=result_file)
        result.update(loaded)
    for k, v in (("stage", stage), ("sampled", sampled), ("bad", bad)):
        if v is not None:
            result[k] = v
    services = _open(config, store_url, must_exist=True)
    try:
        run = services.provenance.record_audit(name, result)
    finally:
        services.close()
    click.echo(_label(
        f"{name}：抽检 {run.sampled}，不合格 {run.bad}（{run.ratio:.2%}），结论 {run.verdict}",
        f"{name}: {run.bad} of {run.sampled} bad ({run.ratio:.2%}), verdict {run.verdict}",
    ))
    if run.verdict == "reject":
        click.echo(_label("不合格率超过 5%，该来源已排除出训练数据",
                          "more than 5 % bad: the source is excluded from training"), err=True)


@sources.command("diversity")
@_store_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON. / 以 JSON 输出")
def diversity(config: str | None, store_url: str | None, as_json: bool) -> None:
    """Check R-DAT-03: at least two sources per (language, modality), domestic mixed with foreign. Exit 1 on gaps.

    检查 R-DAT-03：每个（语种，模态）至少两个来源，境内外数据搭配；有缺口时以状态 1 退出。
    """
    services = _open(config, store_url, must_exist=True)
    try:
        report = services.provenance.check_diversity()
    finally:
        services.close(checkpoint=False)
    if as_json:
        click.echo(dumps(report.to_dict()))
    else:
        for p in report.pairs:
            click.echo(f"{p.language}\t{p.modality}\t{len(p.sources)}\tdomestic={p.domestic}\tforeign={p.foreign}")
        for f in report.findings:
            click.echo(_label(f["message_zh"], f["message_en"]))
        if report.ok:
            click.echo(_label("来源多样性满足要求", "source diversity OK"))
    sys.exit(0 if report.ok else 1)


@sources.command("export")
@_store_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Output JSON file. / 输出 JSON 文件")
def export(config: str | None, store_url: str | None, output: str) -> None:
    """Write the ledger as JSON for the Art 17 transparency document.

    导出台账（JSON），用于第十七条透明度文件。
    例 / example:  hegui corpus sources export -o sources.json
    """
    services = _open(config, store_url, must_exist=True)
    try:
        data = services.provenance.export()
    finally:
        services.close(checkpoint=False)
    try:
        out = Path(output)
        if out.parent != Path():
            out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", f"无法写入：{exc.strerror}", path=output) from None
    n = data["summary"]["sources"]
    click.echo(_label(f"已导出 {n} 个来源到 {output}", f"{n} source(s) exported to {output}"))
