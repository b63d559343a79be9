"""Name keys for matching: Han characters transliterated to pinyin, accents, case and order folded.

A name becomes a set of tokens, one per name part: the family name and the given name
when the source splits them, else the words of the full name. Han text becomes pinyin
without tones, one token per part (张伟 gives ``zhang`` and ``wei``, 秀佳 gives
``xiujia``), so 张伟, Zhang Wei, Wei Zhang and "ZHANG  WEI" share the key ``wei zhang``.
Two keys come out of each name:

- ``name_key``: the sorted transliterated tokens, compared across scripts;
- ``name_native``: the sorted tokens in their own script (Han kept, Latin folded), so
  张伟 and 张薇, which share ``name_key``, still differ here and the matcher weighs that.

Only letters count: digits, punctuation, symbols and emoji are dropped, and a name with
no letters has no key (None).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pypinyin import lazy_pinyin

# Readings of surnames that pypinyin 0.55 gives in their everyday sense instead (曾 as
# ceng, 单 as dan, ...). A surname written in Han has one standard pinyin spelling.
SURNAME_READINGS: dict[str, str] = {
    "曾": "zeng",
    "单": "shan",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "查": "zha",
    "朴": "piao",
    "盖": "ge",
    "乐": "yue",
    "覃": "qin",
    "缪": "miao",
    "翟": "zhai",
    "尉迟": "yuchi",
    "万俟": "moqi",
    "长孙": "zhangsun",
    "种": "chong",
    "重": "chong",
    "秘": "bi",
    "员": "yun",
    "柏": "bai",
    "薄": "bo",
    "繁": "po",
    "召": "shao",
    "折": "she",
}
COMPOUND_SURNAMES = frozenset(
    {
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "司徒",
        "夏侯",
        "令狐",
        "万俟",
    }
)


# Code point ranges of CJK unified ideographs (Unicode 15: the base block, extension A,
# extensions B to I) and CJK compatibility ideographs.
_HAN_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x323AF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))


_HAN = re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in _HAN_RANGES) + "]")


def is_han(char: str) -> bool:
    """Tell whether ``char`` is a Han character (a CJK ideograph)."""
    point = ord(char)
    return any(low <= point <= high for low, high in _HAN_RANGES)


def has_han(text: str) -> bool:
    """Tell whether ``text`` contains at least one Han character."""
    return _HAN.search(text) is not None


def fold_latin(text: str) -> str:
    """Return ``text`` without accents and case: "Müller" and "MULLER" both give "muller"."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ß", "ss").replace("ẞ", "ss"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _runs(text: str) -> list[tuple[bool, str]]:
    """Split ``text`` into runs of Han and of other letters, dropping everything that is not a letter."""
    runs: list[tuple[bool, str]] = []
    for char in unicodedata.normalize("NFC", text):
        if not char.isalpha():
            if runs and runs[-1][1]:
                runs.append((False, ""))
            continue
        han = is_han(char)
        if runs and runs[-1][0] == han and runs[-1][1] != "":
            runs[-1] = (han, runs[-1][1] + char)
        else:
            runs.append((han, char))
    return [run for run in runs if run[1]]


def _pinyin(han: str, family: bool) -> str:
    """Return the toneless pinyin of a Han run as one token, with ü written u."""
    head = ""
    if family:
        for surname in sorted(SURNAME_READINGS, key=len, reverse=True):
            if han.startswith(surname):
                head, han = SURNAME_READINGS[surname], han[len(surname) :]
                break
    syllables = lazy_pinyin(han, errors="ignore") if han else []
    return (head + "".join(syllables)).replace("v", "u")


@lru_cache(maxsize=200_000)
def part_tokens(text: str | None, family: bool = False) -> tuple[tuple[str, str], ...]:
    """Return (transliterated, native) token pairs of one name part, as written.

    Each Han run is one token, each run of other letters is one token per word, so a
    Han part stays one token whatever its length.
    """
    if not text:
        return ()
    tokens: list[tuple[str, str]] = []
    for han, run in _runs(text):
        if han:
            latin = _pinyin(run, family)
            if latin:
                tokens.append((latin, run))
        else:
            folded = fold_latin(run)
            if folded:
                tokens.append((folded, folded))
    return tuple(tokens)


def _split_han_full_name(full: str) -> tuple[str, str]:
    """Split a Han full name written without a space into (family, given)."""
    cut = 2 if full[:2] in COMPOUND_SURNAMES else 1
    return full[:cut], full[cut:]


def name_tokens(given: str | None, family: str | None, full: str | None) -> tuple[tuple[str, str], ...]:
    """Return the (transliterated, native) tokens of a name from its parts, else its full form."""
    tokens = part_tokens(given) + part_tokens(family, family=True)
    if tokens:
        return tokens
    if not full:
        return ()
    compact = "".join(full.split())
    if compact and all(is_han(ch) for ch in compact):
        surname, rest = _split_han_full_name(compact)
        return part_tokens(rest) + part_tokens(surname, family=True)
    return part_tokens(full)


def name_keys(given: str | None, family: str | None, full: str | None) -> tuple[str | None, str | None]:
    """Return (name_key, name_native) of a name; both None when it has no letters."""
    return keys_of_tokens(name_tokens(given, family, full))


def keys_of_tokens(tokens: tuple[tuple[str, str], ...]) -> tuple[str | None, str | None]:
    """Return (name_key, name_native) of a name's (transliterated, native) tokens."""
    if not tokens:
        return None, None
    latin = " ".join(sorted(token for token, _ in tokens))
    native = " ".join(sorted(token for _, token in tokens))
    return latin, native
