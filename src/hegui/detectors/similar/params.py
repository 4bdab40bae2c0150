"""Parameter checks shared by the two detectors (bilingual ConfigError naming the detector and the param)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hegui.core.errors import ConfigError
from hegui.core.types import Stage


def fraction(det: str, name: str, value: Any, *, zero_ok: bool = False) -> float:
    ok = not isinstance(value, bool) and isinstance(value, int | float)
    if ok:
        v = float(value)
        ok = (0.0 <= v < 1.0) if zero_ok else (0.0 < v <= 1.0)
    if not ok:
        rng = "[0, 1)" if zero_ok else "(0, 1]"
        raise ConfigError(
            f"{det}: {name!r} must be a number in {rng}, not {value!r}",
            f"{det}：{name!r} 必须是 {rng} 区间内的数，而不是 {value!r}",
        )
    return float(value)


def integer(det: str, name: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ConfigError(
            f"{det}: {name!r} must be an integer from {lo} to {hi}, not {value!r}",
            f"{det}：{name!r} 必须是 {lo} 到 {hi} 之间的整数，而不是 {value!r}",
        )
    return value


def boolean(det: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{det}: {name!r} must be true or false", f"{det}：{name!r} 必须为 true 或 false")
    return value


def paths(det: str, value: Any) -> tuple[Path, ...]:
    if value is None:
        return ()
    if (
        isinstance(value, str | Path)
        or not isinstance(value, Sequence)
        or not all(isinstance(p, str | Path) for p in value)
    ):
        raise ConfigError(f"{det}: 'paths' must be a list of file paths", f"{det}：'paths' 必须是文件路径列表")
    return tuple(Path(p) for p in value)


def stages(det: str, value: Any, default: frozenset[Stage] | None = None) -> frozenset[Stage] | None:
    if value is None:
        return default
    if isinstance(value, str) or not isinstance(value, Sequence) or not all(isinstance(s, str) for s in value):
        raise ConfigError(f"{det}: 'stages' must be a list of stage names", f"{det}：'stages' 必须是阶段名称列表")
    try:
        return frozenset(Stage(s) for s in value)
    except ValueError:
        known = ", ".join(s.value for s in Stage)
        raise ConfigError(
            f"{det}: unknown stage in {list(value)}; known: {known}",
            f"{det}：{list(value)} 中有未知阶段；可用：{known}",
        ) from None
