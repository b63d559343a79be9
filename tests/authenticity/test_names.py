"""Name plausibility: test values, keyboard noise, repeated letters, digits, emoji, mixed scripts."""

from __future__ import annotations

import pytest

from customer_warehouse.authenticity.names import name_codes
from tests.authenticity.helpers import codes_of, reasons_of, score


@pytest.mark.parametrize(
    ("name", "codes"),
    [
        ("Test User", ("name_test_value",)),
        ("test test", ("name_test_value",)),
        ("测试 用户", ("name_test_value",)),
        ("测试用户", ("name_test_value",)),
        ("abc abc", ("name_test_value",)),
        ("asdf qwer", ("name_keyboard_noise",)),
        ("qwerty asdf", ("name_keyboard_noise",)),
        ("zxcv zxcv", ("name_keyboard_noise",)),
        ("xxx xxx", ("name_keyboard_noise",)),
        ("jjj kkk", ("name_keyboard_noise",)),
        ("Annna Li", ("name_repeated_letters",)),
        ("A", ("name_too_short",)),
        ("娜", ("name_too_short",)),
        ("J0hn Doe", ("name_has_digits",)),
        ("12345", ("name_has_digits",)),
        ("John😀 Doe", ("name_has_symbols",)),
        ("Jоhn Doe", ("name_mixed_scripts",)),
        ("Li明", ("name_mixed_scripts",)),
    ],
)
def test_implausible_names(config, name, codes):
    assert name_codes(name, config.names) == codes


@pytest.mark.parametrize(
    "name",
    [
        "Holly Elliott",
        "王伟",
        "马宇亮",
        "J Smith",
        "Ágatha Castro",
        "da Cunha Juliana",
        "O'Brien",
        "Jean-Luc Picard",
        "Nguyen Ng",
        "Krzysztof Szczęsny",
        "Bjørn Tschüß",
        "さくら",
        "美由紀",
        "Wynn Lyn",
        "Mr. Smith",
    ],
)
def test_real_names_pass(config, name):
    assert name_codes(name, config.names) == ()


def test_name_reason_hides_name(make_frame, config):
    scored = score(
        make_frame(rows=[{"full_name": "asdf qwer", "given_name": "asdf", "family_name": "qwer"}]), config
    )
    assert codes_of(scored)[0] == ["name_keyboard_noise"]
    assert "asdf" not in reasons_of(scored)[0]


def test_given_and_family_without_full_name(make_frame, config):
    scored = score(
        make_frame(rows=[{"full_name": None, "given_name": "Test", "family_name": "User"}]), config
    )
    assert codes_of(scored)[0] == ["name_test_value"]
