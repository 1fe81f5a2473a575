"""Given names of many countries, from the name dictionary shipped in `gender-guesser`.

The list (Jörg Michael's nam_dict.txt, ~45,000 given names from 50+ countries)
is used to tell a person's name ("Heather Willis") from other capitalised
word pairs ("Bad Kissingen", "Open Source") after a contact cue. It is read
once per process, lazily, from the installed package: nothing is downloaded.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from importlib import resources

# The name column of nam_dict.txt (fixed width); "+" joins compound names.
_NAME_COLUMNS = slice(3, 29)


def fold(name: str) -> str:
    """Lower case without accents, so "Élise" and "Elise" look the same."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    data = resources.files("gender_guesser").joinpath("data", "nam_dict.txt")
    names: set[str] = set()
    with data.open(encoding="utf-8") as f:
        for line in f:
            if line[:1] in "#=" or len(line) < 30:
                continue
            for part in line[_NAME_COLUMNS].strip().replace("-", "+").split("+"):
                if len(part) > 1:
                    names.add(fold(part))
    return frozenset(names)


def is_first_name(token: str) -> bool:
    """Is the first part of `token` ("Heinz" of "Heinz-Georg") a known given name?"""
    return fold(token.split("-", 1)[0]) in first_names()
