"""Rebuild the shipped label font: a subset of Noto Sans CJK SC Bold (SIL OFL 1.1, see OFL.txt).

Run from the repository root after ``apt-get install fonts-noto-cjk`` and ``pip install fonttools``::

    python src/hegui/labeling/fonts/build_subset.py

It writes ``NotoSansCJKsc-Bold-label.otf`` (printable ASCII, the full-width punctuation of notices and the Han
characters that label wordings use) and ``label-font.json`` (the characters covered, read at run time to decide
whether a custom wording can be drawn with the shipped subset or needs a system font).
"""

from __future__ import annotations

import json
from pathlib import Path

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
SOURCE_INDEX = 2  # Noto Sans CJK SC Bold inside the collection
HERE = Path(__file__).resolve().parent
OUT = HERE / "NotoSansCJKsc-Bold-label.otf"

#: Han characters and punctuation that label wordings are made of (GB 45438 §5: an AI element and a generation
#: element, plus the usual "本内容由…" phrasings and the modality names)
HAN = (
    "人工智能生成合成本内容由此该图片像视频音文字作品部分全经过使用辅助技术深度创建制作编辑"
    "提示标识注意请以下上述相关服务提供者模型算法虚拟场景数字声画面可能疑似"
)
PUNCT = "（）：，。、；！？《》“”‘’【】—…·"


def main() -> None:
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    chars = "".join(chr(c) for c in range(0x20, 0x7F)) + PUNCT + "".join(dict.fromkeys(HAN))
    font = TTCollection(str(SOURCE)).fonts[SOURCE_INDEX]
    options = subset.Options()
    options.layout_features = ["kern", "palt", "vert"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    sub = subset.Subsetter(options)
    sub.populate(text=chars)
    sub.subset(font)
    font.save(str(OUT))
    (HERE / "label-font.json").write_text(
        json.dumps({"file": OUT.name, "family": "Noto Sans CJK SC Bold (subset)", "license": "OFL-1.1",
                    "chars": chars}, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )
    print(f"{OUT.name}: {OUT.stat().st_size} bytes, {len(chars)} characters")


if __name__ == "__main__":
    main()
