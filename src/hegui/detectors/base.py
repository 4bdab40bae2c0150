"""Detector protocol and registry.

A detector has a cheap constructor, an explicit :meth:`Detector.load`, and ``detect(text, ctx)``.
"""

from __future__ import annotations

import abc
import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from hegui.core.errors import ConfigError
from hegui.core.types import Finding, Stage


@dataclass(frozen=True, slots=True)
class DetectContext:
    """What a detector may know about the text besides the text itself."""

    stage: Stage = Stage.INPUT
    lang: str = "zh"
    extra: Mapping[str, Any] = field(default_factory=dict)


class Detector(abc.ABC):
    """Base class. Subclasses set ``name`` and implement :meth:`detect`."""

    name: ClassVar[str] = ""

    def __init__(self, **params: Any) -> None:
        if params:
            raise ConfigError(
                f"detector {self.name!r} takes no parameters {sorted(params)}",
                f"检测器 {self.name!r} 不接受参数 {sorted(params)}",
            )
        self._loaded = False

    @property
    def loaded(self) -> bool:
        return self._loaded

    def load(self) -> None:
        """Load heavy resources (automata, models). Idempotent."""
        self._loaded = True

    @abc.abstractmethod
    def detect(self, text: str, ctx: DetectContext) -> list[Finding]:
        """Findings in ``text`` with spans in ``text``; raise on failure (never return [] for a check that failed)."""


_REGISTRY: dict[str, type[Detector]] = {}
D = TypeVar("D", bound=type[Detector])


def register(cls: D) -> D:
    """Class decorator: make a detector available by its ``name``. Duplicate names are errors."""
    if not cls.name:
        raise ValueError(f"{cls.__qualname__} has no name")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"duplicate detector name {cls.name!r}")
    _REGISTRY[cls.name] = cls
    return cls


# Built-in detectors by name -> "module:Class", imported on first use so that importing hegui loads no data.
_BUILTINS: Mapping[str, str] = {
    "lexicon": "hegui.detectors.lexicon.detector:LexiconDetector",
    "pii": "hegui.detectors.pii:PIIDetector",
    "classifier": "hegui.detectors.classifier.detector:ClassifierDetector",
    "similar": "hegui.detectors.similar.detector:SimilarTextDetector",
    "protected_works": "hegui.detectors.similar.protected:ProtectedWorksDetector",
    "guard_model": "hegui.detectors.guard_model.detector:GuardModelDetector",
}


def _builtin(name: str) -> type[Detector]:
    module, _, attr = _BUILTINS[name].partition(":")
    cls = getattr(importlib.import_module(module), attr)
    if not (isinstance(cls, type) and issubclass(cls, Detector)):
        raise TypeError(f"{_BUILTINS[name]} is not a Detector")
    return cls


def get_detector_class(name: str) -> type[Detector]:
    if name in _REGISTRY:
        return _REGISTRY[name]
    try:
        return _builtin(name)
    except KeyError:
        known = sorted({*_REGISTRY, *_BUILTINS})
        raise ConfigError(
            f"unknown detector {name!r}; known: {', '.join(known)}",
            f"未知检测器 {name!r}；可用：{', '.join(known)}",
        ) from None
