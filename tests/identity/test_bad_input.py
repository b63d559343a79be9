"""Bad input: odd names, empty rows, one person many times, only fakes, broken frames."""

from __future__ import annotations

import pandas as pd
import pytest

from customer_warehouse.db import engine as make_engine
from customer_warehouse.identity import resolve_identities
from customer_warehouse.identity.prepare import IdentityFrameError
from customer_warehouse.identity.store import load_bridge


def _persons(url: str, frame: pd.DataFrame) -> pd.Series:
    eng = make_engine(url)
    try:
        bridge = load_bridge(eng)
    finally:
        eng.dispose()
    return pd.Series(
        frame["customer_key"].map(bridge).to_numpy(), index=frame["source_customer_id"].to_numpy()
    )


def test_odd_names_resolve(frame_of, pg_database, keys):
    frame = frame_of(
        ("empty", {"given_name": "", "family_name": "", "full_name": ""}),
        ("one_char", {"given_name": "A", "full_name": "A"}),
        ("emoji", {"given_name": "😀", "family_name": "🎉", "full_name": "😀 🎉"}),
        ("mixed", {"given_name": "伟", "family_name": "Zhang", "full_name": "Zhang伟"}),
        ("han", {"given_name": "伟", "family_name": "张", "full_name": "张伟"}),
        ("null", {}),
        ("controls", {"full_name": "\x00\t\n", "email": "\u200b@\u200b"}),
    )
    url = pg_database("identity_odd_names")
    run = resolve_identities(frame, url, "run-1", keys)
    persons = _persons(url, frame)
    assert persons.notna().all()
    assert run.counts["accounts_in"] == len(frame)
    # Nothing but a name in common is not enough, even for the same name in two scripts.
    assert persons.nunique() == len(frame)


def test_all_null_rows_stay_apart(pg_database, keys):
    frame = pd.DataFrame({"customer_key": [keys.customer_key("shop", i) for i in range(5)]})
    url = pg_database("identity_nulls")
    run = resolve_identities(frame, url, "run-1", keys)
    assert run.counts["persons_created"] == 5
    assert len(run.golden_identifiers) == 5


def test_every_record_same_person(frame_of, pg_database, keys):
    same = {
        "given_name": "Maria",
        "family_name": "Souza",
        "full_name": "Maria Souza",
        "email": "maria.souza@uol.com.br",
        "phone": "+55 11 91234 5678",
        "birth_date": "1985-07-09",
        "postcode": "01310-100",
        "city": "São Paulo",
        "country_code": "BR",
    }
    # 30 accounts exceed the rules' max_accounts, so the model has to link them.
    frame = frame_of(*((str(i), same) for i in range(30)))
    url = pg_database("identity_same_person")
    resolve_identities(frame, url, "run-1", keys)
    assert _persons(url, frame).nunique() == 1


def test_only_fakes_stay_apart(frame_of, pg_database, keys):
    frame = frame_of(
        *(
            (
                str(i),
                {
                    "given_name": "test",
                    "family_name": "test",
                    "full_name": "test test",
                    "email": f"{i:04x}@mailinator.com",
                    "phone": "123456789",
                },
            )
            for i in range(60)
        )
    )
    url = pg_database("identity_fakes")
    run = resolve_identities(frame, url, "run-1", keys)
    assert _persons(url, frame).nunique() == 60
    assert run.counts["probabilistic_links"] == 0


def test_missing_customer_key_rejected(frame_of, pg_database, keys):
    frame = frame_of(("1", {}), ("2", {}))
    frame.loc[1, "customer_key"] = None
    with pytest.raises(IdentityFrameError, match="rows 1 .* have no customer_key"):
        resolve_identities(frame, pg_database("identity_no_key"), "run-1", keys)


def test_repeated_customer_key_rejected(frame_of, pg_database, keys):
    frame = frame_of(("1", {}), ("1", {}))
    with pytest.raises(IdentityFrameError, match="more than once"):
        resolve_identities(frame, pg_database("identity_repeated"), "run-1", keys)


def test_empty_frame_stores_nothing(frame_of, pg_database, keys):
    frame = frame_of(("1", {})).iloc[0:0]
    run = resolve_identities(frame, pg_database("identity_empty"), "run-1", keys)
    assert run.counts["accounts_in"] == 0
    assert run.counts["persons_created"] == 0


def test_error_messages_hold_no_identifiers(frame_of, pg_database, keys):
    frame = frame_of(("1", {"email": "secret.person@web.de"}), ("1", {"email": "secret.person@web.de"}))
    with pytest.raises(IdentityFrameError) as error:
        resolve_identities(frame, pg_database("identity_error_text"), "run-1", keys)
    assert "secret" not in str(error.value)
