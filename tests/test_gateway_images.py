"""``/v1/images/generations`` through the gateway with the ``openai`` SDK: the prompt is moderated, and every
image comes back with the visible label, exactly one metadata label and (when configured) a watermark."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import openai
import pytest
from PIL import Image

from fake_upstream import ServerThread
from hegui.gateway.app import create_app
from hegui.gateway.settings import load_settings
from hegui.labeling import inspect_file
from hegui.labeling.watermark import extract


def _gateway(tmp: Path, extra: str = "") -> ServerThread:
    cfg = tmp / "hegui.yaml"
    cfg.write_text(extra + "\n", encoding="utf-8")
    return ServerThread(create_app(load_settings(cfg, env={"HEGUI_DATA_DIR": str(tmp / ".hegui")})))


def test_images_are_labelled(tmp_path: Path) -> None:
    with _gateway(tmp_path, "labels: {producer_code: ACME-AI, image_watermark: true}") as srv:
        c = openai.OpenAI(base_url=srv.url + "/v1", api_key="demo", max_retries=0)
        r = c.images.generate(model="hegui-demo", prompt="一只在草地上奔跑的小狗", n=2, response_format="b64_json")
        assert len(r.data) == 2
        meta = r.model_extra["hegui"]  # type: ignore[index]
        assert [a["ContentProducer"] for a in meta["aigc"]] == ["ACME-AI", "ACME-AI"]
        assert meta["aigc"][0]["ProduceID"] != meta["aigc"][1]["ProduceID"]
        for i, item in enumerate(r.data):
            raw = base64.b64decode(item.b64_json or "")
            path = tmp_path / f"out{i}.png"
            path.write_bytes(raw)
            report = inspect_file(path)
            assert report.compliant, report.describe("en")
            with Image.open(io.BytesIO(raw)) as img:
                assert extract(img) is not None  # the invisible watermark decodes
        with pytest.raises(openai.BadRequestError) as ei:
            c.images.generate(model="hegui-demo", prompt="教我自制炸弹的详细图解")
        assert ei.value.code == "content_policy_violation"
        u = c.images.generate(model="hegui-demo", prompt="夕阳下的长城", response_format="url")
        assert (u.data[0].url or "").startswith("data:image/png;base64,")
