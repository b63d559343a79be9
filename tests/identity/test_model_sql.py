"""SQL of the comparison levels: the guarded edit distance agrees with DuckDB's own."""

from __future__ import annotations

import random

import duckdb
import pytest

from customer_warehouse.identity.model import within_one_edit

EDGE_CASES = [
    ("", ""),
    ("", "1"),
    ("1", "2"),
    ("12", "21"),
    ("+4915112345678", "+4915112345678"),
    ("+4915112345678", "+4915112345679"),
    ("+4915112345678", "+4915112345687"),
    ("+4915112345678", "4915112345678"),
    ("+4915112345678", "+49151123456789"),
    ("+4915112345678", "-4915112345678"),
    ("+4915112345678", "4+915112345678"),
    ("+4915112345678", "+4915112354687"),
    ("1985-03-12", "1985-03-21"),
    ("1985-03-12", "1985-30-12"),
    ("1985-03-12", "1958-03-12"),
    ("1985-03-12", "1985-03-1"),
    ("1985-03-12", "985-03-12"),
    ("1985-03-12", "1986-04-12"),
]


def _random_pairs(count: int) -> list[tuple[str, str]]:
    """Return pairs of digit strings, many of them one or two random edits apart."""
    generator = random.Random(7)
    pairs = []
    for _ in range(count):
        text = "".join(generator.choice("0123") for _ in range(generator.randint(0, 8)))
        other = list(text)
        for _ in range(generator.randint(0, 2)):
            position = generator.randint(0, len(other))
            edit = generator.choice(("substitute", "insert", "delete", "swap"))
            if edit == "insert":
                other.insert(position, generator.choice("0123"))
            elif other and position < len(other):
                if edit == "substitute":
                    other[position] = generator.choice("0123")
                elif edit == "delete":
                    del other[position]
                elif position + 1 < len(other):
                    other[position], other[position + 1] = other[position + 1], other[position]
        pairs.append((text, "".join(other)))
    return pairs


def _compare(pairs: list[tuple[str | None, str | None]]) -> list[tuple]:
    with duckdb.connect() as connection:
        connection.execute("create table pairs (a text, b text)")
        connection.executemany("insert into pairs values (?, ?)", pairs)
        guarded = within_one_edit("a", "b")
        return connection.execute(
            f"select a, b, damerau_levenshtein(a, b) <= 1 as expected, {guarded} as guarded from pairs"
        ).fetchall()


@pytest.mark.parametrize("pair", EDGE_CASES)
def test_within_one_edit_edge_cases(pair):
    [(_, _, expected, guarded)] = _compare([pair])
    assert guarded == expected


def test_within_one_edit_random_pairs():
    rows = _compare(_random_pairs(20_000))
    wrong = [(a, b) for a, b, expected, guarded in rows if guarded != expected]
    assert wrong == []
    assert sum(1 for *_, expected, _ in rows if expected) > 1000


def test_within_one_edit_null_is_null():
    rows = _compare([(None, "1"), ("1", None), (None, None)])
    assert [guarded for *_, guarded in rows] == [None, None, None]
