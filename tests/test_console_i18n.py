"""The console's message catalogue covers every label its templates and routes use, in both languages."""

from __future__ import annotations

import re
from importlib import resources

from hegui.console.i18n import MESSAGES, both, t

_KEY = re.compile(r"""_\(\s*["']([a-z_]+\.[a-z_0-9]+)["']""")


def test_every_template_key_exists_in_both_languages() -> None:
    used: set[str] = set()
    folder = resources.files("hegui.console").joinpath("templates")
    for item in folder.iterdir():
        if item.name.endswith(".j2"):
            used |= set(_KEY.findall(item.read_text(encoding="utf-8")))
    routes = resources.files("hegui.console").joinpath("routes.py").read_text(encoding="utf-8")
    used |= set(re.findall(r"""["']((?:err|flash|login|users|dash)\.[a-z_]+)["']""", routes))
    assert used, "no keys found"
    missing = sorted(k for k in used if k not in MESSAGES)
    assert not missing, missing
    for key, (zh, en) in MESSAGES.items():
        assert zh.strip() and en.strip(), key


def test_dynamic_keys_exist() -> None:
    for prefix, names in {
        "kind": ("report_output", "complaint", "pi_request"),
        "status": ("received", "triage", "in_review", "resolved", "rejected", "appealed"),
        "sanction": ("none", "warn", "restrict", "suspend", "terminate"),
        "flash": ("confirmed", "rejected", "assigned", "noted", "suspended", "lifted"),
        "role": ("admin", "reviewer", "auditor"),
        "channel": ("api", "web", "provider"),
    }.items():
        for name in names:
            assert f"{prefix}.{name}" in MESSAGES
    assert both("flash.confirmed", "en")[0] == t("flash.confirmed", "en")
    assert both("flash.confirmed", "en")[1] == t("flash.confirmed", "zh")
