"""Docs a reader can trust (issue 15)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_source_page_paraphrases_every_locator():
    """docs/source.md gives the article's reference and one paraphrase per locator."""
    from model.core.parameters import LOCATORS

    text = (ROOT / "docs" / "source.md").read_text(encoding="utf-8")
    assert "Brandon Mitchell" in text and "Associated Medias" in text and "2023" in text
    for locator in LOCATORS:
        assert re.search(rf"^\| `{re.escape(locator)}` \|", text, re.M), locator
    article = ROOT.parent / "shared" / "source" / "article.txt"
    if article.exists():  # paraphrase, never its sentences: no run of 8 words in common
        words = re.findall(r"[a-z’']+", article.read_text(encoding="utf-8").lower())
        grams = {" ".join(words[i:i + 8]) for i in range(len(words) - 7)}
        ours = re.findall(r"[a-z’']+", text.lower())
        copied = [g for g in (" ".join(ours[i:i + 8]) for i in range(len(ours) - 7))
                  if g in grams]
        assert not copied, copied
