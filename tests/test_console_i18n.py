"""The console's message catalogue covers every label its templates and routes use, in both languages."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from hegui.console.i18n import _CORE, AREAS, MESSAGES, both, t

_KEY = re.compile(r"""_\(\s*["']([a-z_]+\.[a-z_0-9]+)["']""")


def test_every_template_key_exists_in_both_languages() -> None:
    used: set[str] = set()
    folder = resources.files("hegui.console").joinpath("templates")
    for item in folder.iterdir():
        if item.name.endswith(".j2"):
            used |= set(_KEY.findall(item.read_text(encoding="utf-8")))
    for path in sorted(Path(str(resources.files("hegui.console"))).rglob("*.py")):
        if path.parent.name == "catalog" or path.name == "i18n.py":
            continue
        code = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""["']((?:err|flash|login|users|dash)\.[a-z_]+)["']""", code))
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


def test_area_catalogues_do_not_redefine_keys() -> None:
    seen: dict[str, str] = {k: "core" for k in _CORE}
    for area in AREAS:
        for key in area.MESSAGES:
            assert key not in seen, f"{key} is defined in {seen[key]} and in {area.__name__}"
            seen[key] = area.__name__
