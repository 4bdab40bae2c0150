"""One error tree. Every error hegui raises on purpose derives from :class:`HeguiError`.

Each error carries a bilingual message (zh-CN and English) that says what went wrong and what to do next.
"""

from __future__ import annotations


class HeguiError(Exception):
    """Base of every error hegui raises on purpose."""

    exit_code: int = 1

    def __init__(self, en: str, zh: str | None = None) -> None:
        self.en = en
        self.zh = zh or en
        super().__init__(en)

    def message(self, lang: str = "en") -> str:
        return self.zh if lang.startswith("zh") else self.en

    def bilingual(self) -> str:
        return self.en if self.zh == self.en else f"{self.zh}\n{self.en}"


class ConfigError(HeguiError):
    """A configuration, policy or library file is invalid. Names the file and line where known."""

    exit_code = 2

    def __init__(self, en: str, zh: str | None = None, *, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + en, where + (zh or en))


class PolicyError(ConfigError):
    """The policy file is invalid."""


class LexiconError(ConfigError):
    """A word library file is invalid."""


class UnknownRiskCode(HeguiError, KeyError):
    exit_code = 2

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(
            f"unknown risk code {code!r}; use A1.1 ... A5.2 (or A.1.a ... A.5.b) or an X.* code from hegui.core.taxonomy",
            f"未知风险代码 {code!r}；请使用 A1.1 … A5.2（或 A.1.a … A.5.b）或 hegui.core.taxonomy 中的 X.* 代码",
        )

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.en


class InputError(HeguiError):
    """An input file cannot be read (encoding, truncation, bad JSON). Names the file and line."""

    exit_code = 2

    def __init__(self, en: str, zh: str | None = None, *, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + en, where + (zh or en))


class DetectorError(HeguiError):
    """A detector failed to load or to run."""

    def __init__(self, detector: str, en: str, zh: str | None = None) -> None:
        self.detector = detector
        super().__init__(f"detector {detector!r}: {en}", f"检测器 {detector!r}：{zh or en}")


class ModerationUnavailable(HeguiError):
    """Moderation could not complete and the policy fails closed."""
