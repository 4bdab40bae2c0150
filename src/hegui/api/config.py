"""The moderation part of a hegui config file (YAML), validated with file-and-line errors.

```yaml
moderation:
  policy: my_policy.yaml        # optional; default: the shipped policy
  detectors:
    - name: lexicon
      params: {paths: [my_words.txt], include_default: true}
    - name: pii
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hegui.core.errors import ConfigError
from hegui.policy.loader import parse_yaml_model


class DetectorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    enabled: bool = True
    params: dict[str, Any] = Field(default_factory=dict)


def _default_detectors() -> list[DetectorConfig]:
    """The shipped layers: the word library, PII, the n-gram risk classifier and the (initially empty)
    similar-text library that reported content is added to. Guard models are opt-in (they need a server)."""
    return [
        DetectorConfig(name="lexicon"),
        DetectorConfig(name="pii"),
        DetectorConfig(name="classifier"),
        DetectorConfig(name="similar"),
    ]


class ModerationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    policy: str | None = None
    detectors: list[DetectorConfig] = Field(default_factory=_default_detectors)


# top-level sections owned by other parts of hegui (the gateway's settings validate them); listed here so a
# misspelt section name is still an error when only the moderation part is read
OTHER_SECTIONS = ("server", "store", "upstreams", "demo_upstream", "streaming", "labels", "logging", "limits", "audit",
                  "disclosure", "identity", "minors", "conduct", "input_limits")


class _ConfigFile(BaseModel):
    """Top level of a hegui config file, as far as moderation is concerned."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    moderation: ModerationConfig = Field(default_factory=ModerationConfig)
    server: Any = None
    store: Any = None
    upstreams: Any = None
    demo_upstream: Any = None
    streaming: Any = None
    labels: Any = None
    logging: Any = None
    limits: Any = None
    audit: Any = None
    disclosure: Any = None
    identity: Any = None
    minors: Any = None
    conduct: Any = None
    input_limits: Any = None


def load_config(path: str | Path) -> ModerationConfig:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("config file not found", "找不到配置文件", path=str(p)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"config file is not UTF-8 (byte {exc.start})", f"配置文件不是 UTF-8 编码（第 {exc.start} 字节）", path=str(p)
        ) from None
    cfg = parse_yaml_model(text, str(p), _ConfigFile, error=ConfigError)
    return cfg.moderation
