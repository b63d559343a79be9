"""Deterministic rules: shared keys link, conflicts and crowded keys do not."""

from __future__ import annotations

from dataclasses import replace

from customer_warehouse.identity.prepare import check_frame, matching_table
from customer_warehouse.identity.rules import deterministic_links


def _links(frame, settings):
    frame = check_frame(frame)
    table = matching_table(
        frame, settings.probabilistic.blocking_rules, settings.probabilistic.max_block_size
    )
    edges = deterministic_links(frame, table, settings.deterministic_rules)
    ids = dict(zip(frame["customer_key"], frame["source_customer_id"], strict=True))
    return {
        (tuple(sorted((ids[left], ids[right]))), rule)
        for left, right, rule in edges[["unique_id_l", "unique_id_r", "rule"]].itertuples(index=False)
    }


def test_email_spellings_link(frame_of, identity_settings):
    frame = frame_of(
        ("1", {"email": "Anna.Schmidt@gmail.com", "postcode": "10115"}),
        ("2", {"email": " annaschmidt+shop@GMAIL.com ", "postcode": "10115"}),
        ("3", {"email": "other@gmail.com", "postcode": "10115"}),
    )
    assert _links(frame, identity_settings) == {(("1", "2"), "same_email")}


def test_phone_formats_link(frame_of, identity_settings):
    frame = frame_of(
        ("1", {"phone": "+49 151 12345678"}),
        ("2", {"phone": "0049 151 12345678"}),
        ("3", {"phone": "0151 12345678"}),
    )
    assert _links(frame, identity_settings) == {
        (("1", "2"), "same_phone"),
        (("1", "3"), "same_phone"),
        (("2", "3"), "same_phone"),
    }


def test_birth_date_conflict_blocks_email_rule(frame_of, identity_settings):
    frame = frame_of(
        ("1", {"email": "family@web.de", "birth_date": "1970-01-02"}),
        ("2", {"email": "family@web.de", "birth_date": "2001-05-06"}),
    )
    assert _links(frame, identity_settings) == set()


def test_missing_birth_date_is_no_conflict(frame_of, identity_settings):
    frame = frame_of(
        ("1", {"email": "family@web.de", "birth_date": "1970-01-02", "postcode": "10115"}),
        ("2", {"email": "family@web.de", "postcode": "10115"}),
    )
    assert _links(frame, identity_settings) == {(("1", "2"), "same_email")}


def test_email_rule_needs_corroboration(frame_of, identity_settings):
    frame = frame_of(
        ("1", {"email": "anna.schmidt@gmail.com", "postcode": "10115"}),
        ("2", {"email": "anna.schmidt@gmail.com", "postcode": "80331"}),
        ("3", {"email": "anna.schmidt@gmail.com"}),
    )
    assert _links(frame, identity_settings) == set()


def test_email_rule_corroborated_by_birth_date(frame_of, identity_settings):
    frame = frame_of(
        ("1", {"email": "anna.schmidt@gmail.com", "birth_date": "1970-01-02", "postcode": "10115"}),
        ("2", {"email": "anna.schmidt@gmail.com", "birth_date": "1970-01-02", "postcode": "80331"}),
    )
    assert _links(frame, identity_settings) == {(("1", "2"), "same_email")}


def test_crowded_key_links_nothing(frame_of, identity_settings):
    frame = frame_of(*((str(i), {"phone": "+49 151 12345678"}) for i in range(11)))
    assert _links(frame, identity_settings) == set()


def test_person_ref_links_group_as_star(frame_of, identity_settings):
    rules = tuple(replace(rule) for rule in identity_settings.deterministic_rules)
    frame = frame_of(*((str(i), {"person_ref": "u-1", "source": "olist"}) for i in range(30)))
    links = _links(frame, replace(identity_settings, deterministic_rules=rules))
    assert len(links) == 29
    assert {rule for _, rule in links} == {"same_person_ref"}
