"""Name keys: Han, pinyin and Latin spellings, swapped parts, accents, case and junk."""

from __future__ import annotations

import pytest

from customer_warehouse.identity.names import name_keys


@pytest.mark.parametrize(
    ("given", "family", "full"),
    [
        ("伟", "张", "张伟"),
        ("Wei", "Zhang", "Zhang Wei"),
        ("Zhang", "Wei", "Wei Zhang"),
        ("WEI", "ZHANG", "ZHANG  WEI"),
        (" wei", "zhang ", None),
        (None, None, "张伟"),
        (None, None, "Wei Zhang"),
    ],
)
def test_zhang_wei_spellings_share_key(given, family, full):
    assert name_keys(given, family, full)[0] == "wei zhang"


def test_homophones_differ_in_native_key():
    wei, wei_other = name_keys("伟", "张", None), name_keys("薇", "张", None)
    assert wei[0] == wei_other[0]
    assert wei[1] != wei_other[1]


def test_han_and_pinyin_differ_in_native_key():
    assert name_keys("伟", "张", None)[1] != name_keys("Wei", "Zhang", None)[1]


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("João", "Müller", None), "joao muller"),
        (("JOAO", "MULLER", None), "joao muller"),
        (("Maria Luísa", "Ribeiro", None), "luisa maria ribeiro"),
        (("Jürgen", "Groß", None), "gross jurgen"),
        (("贤", "曾", None), "xian zeng"),
        ((None, None, "欧阳娜娜"), "nana ouyang"),
        (("布", "吕", None), "bu lu"),
        (("Zhang伟", None, None), "wei zhang"),
    ],
)
def test_folding(parts, expected):
    assert name_keys(*parts)[0] == expected


@pytest.mark.parametrize(
    "parts",
    [("", "", ""), (None, None, None), ("😀", "🎉", None), ("123", "--", "!!"), ("   ", None, "\t")],
)
def test_no_letters_no_key(parts):
    assert name_keys(*parts) == (None, None)


def test_one_letter_name_keeps_key():
    assert name_keys("A", None, None) == ("a", "a")


def test_emoji_dropped_from_name():
    assert name_keys("Anna 😀", "Schmidt", None)[0] == "anna schmidt"
