"""Detector protocol and registry.

A detector has a cheap constructor, an explicit :meth:`Detector.load`, and ``detect(text, ctx)``.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
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


_BUILTINS: dict[str, Callable[[], type[Detector]]] = {}


def _builtin(name: str) -> type[Detector]:
    # imported lazily so that importing hegui loads no data
    if name == "lexicon":
        from hegui.detectors.lexicon.detector import LexiconDetector

        lex: type[Detector] = LexiconDetector
        return lex
    if name == "pii":
        from hegui.detectors.pii import PIIDetector

        pii: type[Detector] = PIIDetector
        return pii
    if name == "guard_model":
        from hegui.detectors.guard_model.detector import GuardModelDetector

        guard: type[Detector] = GuardModelDetector
        return guard
    if name == "similar":
        from hegui.detectors.similar.detector import SimilarTextDetector

        similar: type[Detector] = SimilarTextDetector
        return similar
    if name == "protected_works":
        from hegui.detectors.similar.protected import ProtectedWorksDetector

        works: type[Detector] = ProtectedWorksDetector
        return works
    if name == "classifier":
        from hegui.detectors.classifier.detector import ClassifierDetector

        clf: type[Detector] = ClassifierDetector
        return clf
    raise KeyError(name)


def get_detector_class(name: str) -> type[Detector]:
    if name in _REGISTRY:
        return _REGISTRY[name]
    try:
        return _builtin(name)
    except KeyError:
        known = sorted({*_REGISTRY, "lexicon", "pii", "guard_model", "similar", "protected_works", "classifier"})
        raise ConfigError(
            f"unknown detector {name!r}; known: {', '.join(known)}",
            f"未知检测器 {name!r}；可用：{', '.join(known)}",
        ) from None
