"""Length counting shared by channels that count a link as a fixed number of characters."""

from __future__ import annotations

import re

URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


def count_with_links(text: str, link_length: int) -> int:
    """Characters, where every http(s) URL counts as ``link_length``."""
    total = 0
    position = 0
    for match in URL_RE.finditer(text):
        total += len(text[position : match.start()]) + link_length
        position = match.end()
    return total + len(text[position:])
