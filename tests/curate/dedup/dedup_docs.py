"""Small realistic documents for dedup tests: real paragraphs plus site boilerplate."""
from __future__ import annotations

import json
import random
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "curate" / "dedup" / "paragraphs.json"
PARAGRAPHS: list[str] = json.loads(FIXTURE.read_text(encoding="utf-8"))

HEADER = "Home | News | Sport | Culture | Contact"
FOOTER = "© 2021 Example Media GmbH. All rights reserved. Imprint | Privacy"


def body(i: int, n: int = 6) -> list[str]:
    """Document i's paragraphs: disjoint from every other document's."""
    return PARAGRAPHS[i * n: (i + 1) * n]


def page(paras: list[str], date: str = "Posted on 3 March 2021", header: str = HEADER,
         footer: str = FOOTER) -> str:
    return "\n".join([header, date, *paras, footer])


def change_words(text: str, fraction: float, seed: int, contiguous: bool) -> str:
    """Replace `fraction` of the words, in one contiguous run or scattered."""
    rng = random.Random(seed)
    w = text.split(" ")
    k = max(1, round(len(w) * fraction))
    if contiguous:
        start = rng.randrange(0, len(w) - k)
        idx = range(start, start + k)
    else:
        idx = rng.sample(range(len(w)), k)
    for i in idx:
        w[i] = f"zq{rng.randrange(10**6)}"
    return " ".join(w)
