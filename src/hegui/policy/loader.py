"""Load a policy from YAML so that every error names the file and the line.

The YAML text is composed into a node tree (which keeps ``start_mark`` for every key and item), converted to
plain data while recording ``path -> line``, and validated by :class:`~hegui.policy.model.Policy`. Each
pydantic error location is mapped back to the line of the offending key. Errors are
:class:`PolicyValidationError` (a :class:`~hegui.core.errors.PolicyError`) with zh and en text and a hint.
"""

from __future__ import annotations

import difflib
import functools
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from hegui.core.errors import ConfigError, PolicyError
from hegui.policy.model import Policy

Loc = tuple[Any, ...]  # keys are usually str, items int
M = TypeVar("M", bound=BaseModel)

DEFAULT_POLICY_RESOURCE: Final = "default_policy.yaml"


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    """One thing wrong with a policy file."""

    line: int | None
    en: str
    zh: str
    hint_en: str = ""
    hint_zh: str = ""
    loc: Loc = ()

    def text(self, lang: str = "en") -> str:
        if lang.startswith("zh"):
            return self.zh + (f"（{self.hint_zh}）" if self.hint_zh else "")
        return self.en + (f" (hint: {self.hint_en})" if self.hint_en else "")


def _messages(path: str, problems: Sequence[PolicyProblem]) -> tuple[str, str, int | None]:
    first = problems[0]
    en, zh = first.text("en"), first.text("zh")
    for p in problems[1:]:
        where = f"{path}:{p.line}: " if p.line is not None else f"{path}: "
        en += f"\n{where}{p.text('en')}"
        zh += f"\n{where}{p.text('zh')}"
    return en, zh, first.line


class PolicyValidationError(PolicyError):
    """A policy file failed to parse or validate. ``problems`` lists every error found, in file order."""

    def __init__(self, path: str, problems: Sequence[PolicyProblem]) -> None:
        self.problems = tuple(problems)
        en, zh, line = _messages(path, self.problems)
        super().__init__(en, zh, path=path, line=line)


class ConfigValidationError(ConfigError):
    """A YAML file read by :func:`parse_yaml_model` failed to parse or validate; ``problems`` as above."""

    def __init__(self, path: str, problems: Sequence[PolicyProblem]) -> None:
        self.problems = tuple(problems)
        en, zh, line = _messages(path, self.problems)
        super().__init__(en, zh, path=path, line=line)


class _Problems(Exception):
    """Internal: what went wrong, before it becomes the caller's error class."""

    def __init__(self, problems: Sequence[PolicyProblem]) -> None:
        super().__init__(problems[0].en)
        self.problems = tuple(problems)


def _error(error: type[ConfigError], path: str, problems: Sequence[PolicyProblem]) -> ConfigError:
    if error is ConfigError:
        return ConfigValidationError(path, problems)
    if error is PolicyError:
        return PolicyValidationError(path, problems)
    en, zh, line = _messages(path, problems)
    exc = error(en, zh, path=path, line=line)
    setattr(exc, "problems", tuple(problems))  # noqa: B010
    return exc


# --------------------------------------------------------------------------------------------------- YAML


class _Composer(yaml.SafeLoader):
    """SafeLoader used only to compose nodes and construct scalars (no arbitrary tags)."""


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _to_data(
    loader: _Composer, node: yaml.Node, path: Loc, lines: dict[Loc, int], active: frozenset[int] = frozenset()
) -> Any:
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        if id(node) in active:
            raise _Problems([PolicyProblem(_line(node), "recursive YAML alias", "YAML 别名出现循环引用", "remove the alias")])
        active = active | {id(node)}
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolve "<<" merge keys
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _to_data(loader, key_node, path, {})
            if not isinstance(key, str | int | float | bool) or key is None:
                raise _Problems([PolicyProblem(_line(key_node), "a key must be a plain value", "键必须是普通的标量值")])
            if key in out:
                first = lines.get((*path, key), "?")
                raise _Problems(
                    [
                        PolicyProblem(
                            _line(key_node),
                            f"duplicate key {key!r} (first at line {first})",
                            f"重复的键 {key!r}（首次出现于第 {first} 行）",
                            "remove one of them; YAML would silently keep only the last",
                            "请删除其中一个；YAML 会静默地只保留最后一个",
                        )
                    ]
                )
            lines[(*path, key)] = _line(key_node)
            out[key] = _to_data(loader, value_node, (*path, key), lines, active)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            lines[(*path, i)] = _line(item)
            items.append(_to_data(loader, item, (*path, i), lines, active))
        return items
    return loader.construct_object(node, deep=True)


def _parse_yaml(text: str) -> tuple[Any, dict[Loc, int]]:
    """Plain data and ``path -> line``; ``(None, {})`` for an empty document. Raises :class:`_Problems`."""
    loader = _Composer(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines: dict[Loc, int] = {(): _line(node)}
        data = _to_data(loader, node, (), lines)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else None
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        opened = exc.context_mark
        if opened is not None and mark is not None and opened.line != mark.line:
            problem += f" (the construct started at line {int(opened.line) + 1})"
        raise _Problems(
            [
                PolicyProblem(
                    line,
                    f"YAML syntax error: {problem}",
                    f"YAML 语法错误：{problem}",
                    "check indentation (spaces, not tabs), colons after keys and matching quotes or brackets",
                    "请检查缩进（用空格而非制表符）、键后的冒号以及引号和括号是否配对",
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise _Problems([PolicyProblem(None, f"cannot read YAML: {exc}", f"无法读取 YAML：{exc}")]) from None
    finally:
        loader.dispose()
    return data, lines


# ------------------------------------------------------------------------------------- error translation


def _line_for(loc: Loc, lines: Mapping[Loc, int]) -> tuple[int | None, Loc]:
    """The line of the deepest part of ``loc`` present in the file (pydantic inserts union/key tags)."""
    best: Loc = ()
    cur: Loc = ()
    for part in loc:
        cand = (*cur, part)
        if cand in lines:
            cur = best = cand
    return lines.get(best), best


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in members if isinstance(a, type) and issubclass(a, BaseModel)]
            tp = models[0] if models else members[0]
        else:
            return tp


def _model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``loc`` (for listing its allowed keys)."""
    cur: Any = root
    for part in loc:
        cur = _unwrap(cur)
        if isinstance(cur, type) and issubclass(cur, BaseModel):
            if not isinstance(part, str) or part not in cur.model_fields:
                return None
            cur = cur.model_fields[part].annotation
        elif typing.get_origin(cur) in (list, dict):
            cur = typing.get_args(cur)[-1]
        else:
            return None
    cur = _unwrap(cur)
    return cur if isinstance(cur, type) and issubclass(cur, BaseModel) else None


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _shown(value: Any, lang: str = "en") -> str:
    if isinstance(value, str | int | float | bool) and len(repr(value)) <= 60:
        return f"（实际为 {value!r}）" if lang == "zh" else f" (got {value!r})"
    return ""


_ZH_BY_TYPE: Final[dict[str, str]] = {
    "string_type": "应为字符串",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "bool_type": "应为 true 或 false",
    "list_type": "应为列表",
    "dict_type": "应为映射（键: 值）",
    "model_type": "应为映射（键: 值）",
    "model_attributes_type": "应为映射（键: 值）",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "too_short": "不能为空",
    "string_too_short": "长度太短",
    "string_too_long": "长度太长",
}


def _problem(
    err: Mapping[str, Any], lines: Mapping[Loc, int], root: type[BaseModel], docs: tuple[str, str]
) -> PolicyProblem:
    loc: Loc = tuple(err["loc"])
    etype: str = err["type"]
    ctx: Mapping[str, Any] = err.get("ctx") or {}
    line, found = _line_for(loc, lines)
    where = _dotted(found if etype != "missing" else loc)
    msg: str = err["msg"]

    if etype == "extra_forbidden":
        key = loc[-1]
        model = _model_at(root, loc[:-1])
        allowed = sorted(model.model_fields) if model else []
        close = difflib.get_close_matches(str(key), allowed, n=1)
        hint_en = f"allowed keys here: {', '.join(allowed)}" if allowed else "remove it"
        hint_zh = f"此处允许的键：{', '.join(allowed)}" if allowed else "请删除它"
        if close:
            hint_en = f"did you mean {close[0]!r}? " + hint_en
            hint_zh = f"是否想写 {close[0]!r}？" + hint_zh
        return PolicyProblem(line, f"unknown key {key!r} at {where}", f"未知的键 {key!r}（位于 {where}）",
                             hint_en, hint_zh, loc)
    if etype == "missing":
        key = loc[-1]
        parent = _dotted(loc[:-1])
        return PolicyProblem(line, f"missing required key {where}", f"缺少必填的键 {where}",
                             f"add {key!r} under {parent}", f"请在 {parent} 下添加 {key!r}", loc)
    if etype in ("enum", "literal_error"):
        expected = str(ctx.get("expected", ""))
        expected_zh = expected.replace(" or ", " 或 ")
        return PolicyProblem(line, f"invalid value at {where}{_shown(err.get('input'))}: {msg}",
                             f"{where} 的取值无效{_shown(err.get('input'), 'zh')}：应为 {expected_zh}",
                             f"use one of {expected}", f"请使用 {expected_zh} 之一", loc)
    if etype.startswith("hegui_"):
        return PolicyProblem(line, f"{msg} at {where}", f"{ctx.get('zh', msg)}（位于 {where}）",
                             str(ctx.get("hint_en", "")), str(ctx.get("hint_zh", "")), loc)
    zh = _ZH_BY_TYPE.get(etype, "取值无效")
    return PolicyProblem(line, f"invalid value at {where}{_shown(err.get('input'))}: {msg}",
                         f"{where} 的取值无效{_shown(err.get('input'), 'zh')}：{zh}（{msg}）",
                         docs[0], docs[1], loc)


def _without_typo_twins(errors: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Drop "missing 'action'" when the same mapping has an unknown key like 'acton': one typo, one error."""
    unknown: dict[Loc, list[str]] = {}
    for e in errors:
        if e["type"] == "extra_forbidden":
            unknown.setdefault(tuple(e["loc"][:-1]), []).append(str(e["loc"][-1]))
    out = []
    for e in errors:
        if e["type"] == "missing":
            loc = tuple(e["loc"])
            if difflib.get_close_matches(str(loc[-1]), unknown.get(loc[:-1], []), n=1):
                continue
        out.append(e)
    return out


# ------------------------------------------------------------------------------------------------ API


def _validate(
    text: str, model: type[M], *, empty: PolicyProblem | None, docs: tuple[str, str], what: tuple[str, str]
) -> M:
    data, lines = _parse_yaml(text)
    if data is None:
        if empty is not None:
            raise _Problems([empty])
        data, lines = {}, {(): 1}
    if not isinstance(data, dict):
        raise _Problems(
            [PolicyProblem(lines.get(()), f"{what[0]} must be a mapping (key: value) at the top level",
                           f"{what[1]}的顶层必须是映射（键: 值）", docs[0], docs[1])]
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(e, lines, model, docs) for e in _without_typo_twins(exc.errors())]
        problems.sort(key=lambda p: (p.line is None, p.line or 0))
        raise _Problems(problems) from None


def parse_yaml_model(text: str, path: str, model: type[M], *, error: type[ConfigError] = ConfigError) -> M:
    """Parse YAML ``text`` into ``model`` with the same file-and-line errors as policies.

    For any pydantic model (hegui's config file uses it). An empty document validates as ``{}``. Errors are
    ``error`` (``ConfigError`` → :class:`ConfigValidationError`, ``PolicyError`` → :class:`PolicyValidationError`,
    another subclass → that class with a ``problems`` attribute).
    """
    try:
        return _validate(text, model, empty=None, docs=("see the documentation for the format", "格式见文档"),
                         what=("the file", "文件"))
    except _Problems as exc:
        raise _error(error, path, exc.problems) from None


def load_policy_text(text: str, path: str = "<string>") -> Policy:
    """Parse and validate a policy from YAML ``text``; ``path`` is used in error messages only."""
    empty = PolicyProblem(
        1,
        "the policy file is empty",
        "策略文件为空",
        "start from src/hegui/policy/default_policy.yaml",
        "可以从 src/hegui/policy/default_policy.yaml 开始修改",
    )
    try:
        return _validate(text, Policy, empty=empty, docs=("see docs/policy.md for the policy format",
                                                          "策略格式见 docs/policy.md"),
                         what=("the policy", "策略文件"))
    except _Problems as exc:
        raise PolicyValidationError(path, exc.problems) from None


def load_policy(path: str | Path) -> Policy:
    """Read and validate the policy file at ``path``. Raises :class:`PolicyValidationError` (a PolicyError)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise PolicyError(
            f"cannot read the policy file: {exc.strerror or exc}; check the path and its permissions",
            f"无法读取策略文件：{exc.strerror or exc}；请检查路径和权限",
            path=str(p),
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PolicyError(
            "the policy file is not valid UTF-8; save it as UTF-8",
            "策略文件不是有效的 UTF-8 编码；请以 UTF-8 保存",
            path=str(p),
            line=line,
        ) from None
    return load_policy_text(text, str(p))


@functools.cache
def default_policy() -> Policy:
    """The policy shipped with hegui (``hegui/policy/default_policy.yaml``), loaded once on first use."""
    res = resources.files("hegui.policy").joinpath(DEFAULT_POLICY_RESOURCE)
    return load_policy_text(default_policy_text(), str(res))


def default_policy_text() -> str:
    """The text of the shipped default policy (a starting point for a custom one)."""
    return resources.files("hegui.policy").joinpath(DEFAULT_POLICY_RESOURCE).read_text(encoding="utf-8")


def dump_policy_text(policy: Policy) -> str:
    """Serialise ``policy`` as YAML that :func:`load_policy_text` reads back to an equal policy."""
    data = policy.model_dump(mode="json", exclude_none=True)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
