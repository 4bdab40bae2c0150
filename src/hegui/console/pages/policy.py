"""The moderation policy (read-only): the running policy's rules per stage, the effective action per risk code and
severity (computed with the real :func:`hegui.policy.decide`), the refusal templates and the YAML source; and the
validation of a pasted policy (admins; the text is neither stored nor logged, and never loaded)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Final

from fastapi.responses import Response

from hegui.console.i18n import both
from hegui.console.kit import ADMIN_ROLES, MAX_FORM_BYTES, PREFIX, ConsoleKit, Ctx, Messages, form_of
from hegui.console.pages.lexicon import moderator_of
from hegui.core.errors import HeguiError
from hegui.core.taxonomy import RISKS
from hegui.core.types import Action, Assessment, Finding, Severity, Span, Stage
from hegui.policy import Policy, PolicyValidationError, decide, dump_policy_text, load_policy_text

MATRIX_STAGES: Final = (Stage.INPUT, Stage.OUTPUT)
SEVERITIES: Final = tuple(Severity)
OTHER: Final = "(other)"  # the detector of a matrix finding that no rule names
MAX_DIFF_ROWS: Final = 300
#: CSS classes of the action badges (console.css: badge, badge danger; pass is plain muted text)
ACTION_CLASS: Final = {"pass": "muted", "review": "badge warn", "redact": "badge", "block": "badge danger"}


def effective_action(policy: Policy, stage: Stage, code: str, severity: Severity, detector: str = OTHER) -> Action:
    """The action ``policy`` takes at ``stage`` for one finding of ``code`` and ``severity`` from ``detector``
    (score 1.0, with a span), every required detector having run: :func:`hegui.policy.decide` itself."""
    required = policy.for_stage(stage).required_detectors
    finding = Finding(detector, code, severity, Span(0, 1), "console policy matrix")
    assessment = Assessment((finding,), tuple(dict.fromkeys((detector, *required))))
    return decide(assessment, stage, policy).action


def rule_detectors(policy: Policy, stages: tuple[Stage, ...] = MATRIX_STAGES) -> list[str]:
    """The detectors the rules of ``stages`` name (rules limited to them act differently)."""
    names = {d for st in stages for r in policy.for_stage(st).rules for d in (r.detectors or ())}
    return sorted(names - {OTHER})


@dataclass(frozen=True, slots=True)
class MatrixRow:
    code: str
    name_zh: str
    name_en: str
    cells: tuple[str, ...]  # action per (stage, severity), MATRIX_STAGES x SEVERITIES


def matrix(policy: Policy, detector: str = OTHER) -> list[MatrixRow]:
    """The effective action for every risk code of the taxonomy, stage and severity."""
    return [MatrixRow(r.code, r.zh, r.en, tuple(effective_action(policy, st, r.code, sev, detector).value
                                                for st in MATRIX_STAGES for sev in SEVERITIES))
            for r in RISKS]


def action_diff(running: Policy, candidate: Policy) -> list[dict[str, str]]:
    """Every (detector, stage, code, severity) whose effective action differs between the two policies. A
    detector no rule of a stage names (in either policy) acts there like any other one: listed once, as OTHER."""
    out: list[dict[str, str]] = []
    for det in [OTHER, *sorted(set(rule_detectors(running)) | set(rule_detectors(candidate)))]:
        stages = [st for st in MATRIX_STAGES if det == OTHER or det in rule_detectors(running, (st,))
                  or det in rule_detectors(candidate, (st,))]
        for r in RISKS:
            for st in stages:
                for sev in SEVERITIES:
                    before = effective_action(running, st, r.code, sev, det).value
                    after = effective_action(candidate, st, r.code, sev, det).value
                    if before != after:
                        out.append({"detector": det, "stage": st.value, "code": r.code, "severity": sev.value,
                                    "before": before, "after": after})
    return out


def policy_view(policy: Policy, detector: str) -> dict[str, Any]:
    """What the page shows of ``policy``."""
    stages = [policy.for_stage(st) for st in Stage]
    return {
        "policy": policy, "stages": stages, "rule_stages": [policy.for_stage(st) for st in MATRIX_STAGES],
        "matrix": matrix(policy, detector), "matrix_stages": [st.value for st in MATRIX_STAGES],
        "severities": [s.value for s in SEVERITIES], "detectors": rule_detectors(policy), "detector": detector,
        "templates": sorted(policy.templates.refusal.items(), key=lambda kv: (kv[0] != "default", kv[0])),
        "source": dump_policy_text(policy),
    }


def validate(running: Policy, text: str) -> dict[str, Any]:
    """Check a pasted policy: ``{"ok": True, summary, diff}`` or ``{"ok": False, problems}`` (line, zh, en)."""
    try:
        candidate = load_policy_text(text, "<pasted>")
    except PolicyValidationError as exc:
        return {"ok": False, "problems": [{"line": p.line, "zh": p.text("zh"), "en": p.text("en")}
                                          for p in exc.problems]}
    except HeguiError as exc:
        return {"ok": False, "problems": [{"line": getattr(exc, "line", None), "zh": exc.zh, "en": exc.en}]}
    diff = action_diff(running, candidate)
    return {"ok": True, "name": candidate.name, "version": candidate.version, "description": candidate.description,
            "fail": candidate.fail, "input_rules": len(candidate.for_stage(Stage.INPUT).rules),
            "output_rules": len(candidate.for_stage(Stage.OUTPUT).rules), "diff": diff[:MAX_DIFF_ROWS],
            "diff_count": len(diff)}


def register(kit: ConsoleKit) -> None:
    app = kit.app

    def policy_page(ctx: Ctx, status: int = 200, *, messages: Messages | None = None,
                    check: dict[str, Any] | None = None, pasted: str = "") -> Response:
        mod = moderator_of(ctx.request)
        policy = getattr(mod, "policy", None)
        if not isinstance(policy, Policy):
            return kit.error_page(ctx, 503, "pol.no_moderator")
        wanted = ctx.request.query_params.get("detector", OTHER)
        detector = wanted if wanted in rule_detectors(policy) else OTHER
        return kit.render(ctx, "policy.html.j2", status, messages=messages, check=check, pasted=pasted,
                          other=OTHER, action_class=ACTION_CLASS, can_act=ctx.has_role(ADMIN_ROLES),
                          **policy_view(policy, detector))

    @app.get(f"{PREFIX}/policy", include_in_schema=False)
    async def policy(ctx: Ctx = kit.reader) -> Response:
        return await asyncio.to_thread(policy_page, ctx)

    @app.post(f"{PREFIX}/policy/validate", include_in_schema=False)
    async def policy_validate(ctx: Ctx = kit.admin) -> Response:
        # the pasted text is neither stored, logged nor audited; it is only parsed and compared
        try:
            size = int(ctx.request.headers.get("content-length", "0"))
        except ValueError:
            size = 0
        if size > MAX_FORM_BYTES:
            return await asyncio.to_thread(policy_page, ctx, 413, messages=both("pol.too_large", ctx.lang))
        text = (await form_of(ctx.request)).get("policy", "")
        if not text.strip():
            return await asyncio.to_thread(policy_page, ctx, 400, messages=both("pol.empty", ctx.lang))
        running = getattr(moderator_of(ctx.request), "policy", None)
        if not isinstance(running, Policy):
            return kit.error_page(ctx, 503, "pol.no_moderator")
        check = await asyncio.to_thread(validate, running, text)
        return await asyncio.to_thread(policy_page, ctx, 200 if check["ok"] else 422, check=check, pasted=text)
