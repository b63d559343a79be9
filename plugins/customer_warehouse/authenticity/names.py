"""Plausibility of names: test values, keyboard noise, repeated letters, digits, emoji, mixed scripts.

Each distinct name is classified once, so a batch of a million accounts costs one check
per distinct spelling. Reason texts describe the problem and never repeat the name.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import pandas as pd

from customer_warehouse.authenticity.config import AuthenticityConfig, NameRules
from customer_warehouse.authenticity.reasons import Finding, collect, finding
from customer_warehouse.authenticity.validity import text_column

# Han, kana and Hangul count as one script: Japanese names mix Han and kana in one word.
_SCRIPT_GROUPS = {"CJK": "CJK", "HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "CJK"}
_VOWELS = frozenset("aeiouy")
# Characters that belong in names besides letters and combining marks.
_NAME_PUNCTUATION = frozenset(" '-.,’")
# Names of Latin letters (accents included) or of Han characters alone, with the usual
# punctuation: neither digits, symbols nor two scripts in a word are possible, so most
# names skip the per-character checks.
_PLAIN_NAME = re.compile(r"^(?:[A-Za-z\u00C0-\u024F '.,’-]+|[\u4E00-\u9FFF ]+)$")

TEXTS = {
    "name_test_value": "name is a test value",
    "name_keyboard_noise": "name looks like keyboard noise",
    "name_repeated_letters": "name repeats one letter {n} or more times in a row",
    "name_too_short": "name has only one letter",
    "name_has_digits": "name contains digits",
    "name_has_symbols": "name contains emoji or symbols",
    "name_mixed_scripts": "name mixes scripts within one word",
}


def _script(char: str) -> str:
    first = unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
    return _SCRIPT_GROUPS.get(first, first)


def _base_letters(word: str) -> str:
    """Return the word case-folded, without accents (é -> e)."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


# A letter (a word character that is neither a digit nor an underscore).
_LETTER = r"[^\W\d_]"
_ONE_LETTER = re.compile(_LETTER)
_TWO_LETTERS = re.compile(rf"{_LETTER}[\s\S]*?{_LETTER}")


def _has_run(text: str, length: int) -> bool:
    """Tell whether one character repeats ``length`` or more times in a row in ``text``."""
    return re.search(rf"(.)\1{{{length - 1},}}", text) is not None


def _is_keyboard_run(word: str, rules: NameRules) -> bool:
    return len(word) >= rules.keyboard_run and any(word in row for row in rules.keyboard_rows)


def _is_noise_word(word: str, rules: NameRules) -> bool:
    """Tell whether one word of a name is keyboard noise: asdf, xxx, jjkk."""
    plain = word.casefold() if word.isascii() else _base_letters(word)
    if not plain.isalpha():
        return False
    latin = plain.isascii()
    repeated = len(plain) >= rules.repeated_letters and len(set(plain)) == 1
    consonants = latin and len(plain) >= rules.consonant_run and not _VOWELS & set(plain)
    return repeated or consonants or (latin and _is_keyboard_run(plain, rules))


def _words(name: str) -> list[str]:
    return [word.strip("'-.,’") for word in name.split() if word.strip("'-.,’")]


def _content_codes(name: str) -> list[str]:
    if _PLAIN_NAME.match(name):
        return []
    codes = []
    if any(unicodedata.category(char) == "Nd" for char in name):
        codes.append("name_has_digits")
    if any(
        not (unicodedata.category(char)[0] in "LM" or char in _NAME_PUNCTUATION or char.isdigit())
        for char in name
    ):
        codes.append("name_has_symbols")
    if any(len({_script(char) for char in word if char.isalpha()}) > 1 for word in name.split()):
        codes.append("name_mixed_scripts")
    return codes


@lru_cache(maxsize=200_000)
def _word_kind(word: str, rules: NameRules) -> tuple[bool, bool, bool]:
    """Classify one word of a name: (test word, keyboard noise or test word, has a long letter run).

    Names repeat their words far more than whole names, so words are classified once.
    """
    folded = word.casefold()
    test = folded in rules.test_words
    noise = test or _is_noise_word(word, rules)
    plain = folded if folded.isascii() else _base_letters(word)
    return test, noise, _has_run(plain, rules.repeated_letters)


def _shape_codes(name: str, rules: NameRules) -> list[str]:
    words = _words(name)
    if not words:
        return []
    kinds = [_word_kind(word, rules) for word in words]
    if all(test for test, _, _ in kinds) or "".join(words).casefold() in rules.test_words:
        return ["name_test_value"]
    if all(noise for _, noise, _ in kinds):
        return ["name_keyboard_noise"]
    codes = []
    if any(run for _, _, run in kinds):
        codes.append("name_repeated_letters")
    if _ONE_LETTER.search(name) and not _TWO_LETTERS.search(name):
        codes.append("name_too_short")
    return codes


def name_codes(name: str, rules: NameRules) -> tuple[str, ...]:
    """Return the reason codes of one name as written (empty when it looks like a real name)."""
    return tuple(_content_codes(name) + _shape_codes(name, rules))


def display_name(frame: pd.DataFrame) -> pd.Series:
    """Return each record's name as one text: the full name, else given and family name joined."""
    full = text_column(frame, "full_name")
    given = text_column(frame, "given_name").fillna("")
    family = text_column(frame, "family_name").fillna("")
    joined = (given + " " + family).str.strip()
    joined = joined.where(joined != "", None)
    return full.where(full.notna(), joined)


def check_names(frame: pd.DataFrame, config: AuthenticityConfig) -> list[Finding]:
    names = display_name(frame)
    distinct = names.dropna().unique()
    with_code: dict[str, set[str]] = {code: set() for code in TEXTS}
    for name in distinct:
        for code in name_codes(name, config.names):
            with_code[code].add(name)
    findings = []
    for code, text in TEXTS.items():
        if with_code[code]:
            mask = names.isin(with_code[code]).to_numpy(dtype=bool)
            findings.append(finding(code, mask, text.format(n=config.names.repeated_letters)))
    return collect(findings)
