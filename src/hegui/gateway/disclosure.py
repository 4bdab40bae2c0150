"""The service disclosure (IM Art 10, TC260 §7 b), R-SVC-05): a public page and a JSON document."""

from __future__ import annotations

import html
from typing import Any

from hegui.gateway.settings import Bilingual, DisclosureSettings

__all__ = ["disclosure_document", "disclosure_html"]

_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("intended_users", "适用人群", "Intended users"),
    ("occasions", "适用场合", "Occasions"),
    ("purposes", "用途", "Purposes"),
    ("algorithms", "模型与算法概要", "Models and algorithms"),
    ("limitations", "局限性", "Limitations"),
    ("personal_information", "个人信息的收集与使用", "Personal information"),
    ("labeling", "生成内容标识", "Labeling of generated content"),
    ("training_use", "输入数据用于训练", "Use of inputs for training"),
    ("complaints", "投诉举报", "Complaints"),
)


def disclosure_document(d: DisclosureSettings, models: list[str]) -> dict[str, Any]:
    """The JSON form: every item in zh and en, and the base models (configured, else the served model ids)."""
    out: dict[str, Any] = {"service_name": d.service_name.model_dump(), "provider": d.provider.model_dump()}
    for key, _, _ in _ITEMS:
        value: Bilingual = getattr(d, key)
        out[key] = value.model_dump()
    out["base_models"] = list(d.base_models or models)
    return out


def disclosure_html(d: DisclosureSettings, models: list[str]) -> str:
    """A plain, self-contained bilingual page (no scripts, no external resources)."""
    e = html.escape
    rows = []
    for key, zh, en in _ITEMS:
        v: Bilingual = getattr(d, key)
        rows.append(f"<section id='{key}'><h2>{e(zh)} / {e(en)}</h2><p lang='zh-CN'>{e(v.zh)}</p>"
                    f"<p lang='en'>{e(v.en)}</p></section>")
    base = ", ".join(e(m) for m in (d.base_models or models)) or "—"
    return (
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{e(d.service_name.zh)} · 服务说明 / Service disclosure</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;"
        "line-height:1.6}h2{font-size:1.05rem;margin-top:1.6rem}p[lang=en]{color:#444}</style></head><body>"
        f"<h1>{e(d.service_name.zh)} / {e(d.service_name.en)}</h1>"
        f"<p>服务提供者 / Provider: {e(d.provider.zh)} / {e(d.provider.en)}</p>"
        f"<section id='base_models'><h2>使用的基础模型 / Base models</h2><p>{base}</p></section>"
        + "".join(rows) + "</body></html>"
    )
