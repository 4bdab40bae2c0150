"""hegui.policy: the YAML policy, its loader, and the pure ``decide()``.

>>> from hegui.policy import decide, default_policy
>>> policy = default_policy()          # loads hegui/policy/default_policy.yaml on first use

Importing this package reads no files.
"""

from __future__ import annotations

from hegui.policy.decide import Redactor, decide, detect_lang, mask_spans
from hegui.policy.loader import (
    ConfigValidationError,
    PolicyProblem,
    PolicyValidationError,
    default_policy,
    default_policy_text,
    dump_policy_text,
    load_policy,
    load_policy_text,
    parse_yaml_model,
)
from hegui.policy.model import (
    STAGE_FALLBACK,
    CompiledRule,
    Policy,
    Redaction,
    ResolvedStage,
    Rule,
    StagePolicy,
    Stages,
    Templates,
    Text,
    canonical_pattern,
)

__all__ = [
    "STAGE_FALLBACK",
    "CompiledRule",
    "ConfigValidationError",
    "Policy",
    "PolicyProblem",
    "PolicyValidationError",
    "Redaction",
    "Redactor",
    "ResolvedStage",
    "Rule",
    "StagePolicy",
    "Stages",
    "Templates",
    "Text",
    "canonical_pattern",
    "decide",
    "default_policy",
    "default_policy_text",
    "detect_lang",
    "dump_policy_text",
    "load_policy",
    "load_policy_text",
    "mask_spans",
    "parse_yaml_model",
]
