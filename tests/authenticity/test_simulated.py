"""Authenticity scoring of a simulated shop, checked against the simulator's recorded truth."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from customer_warehouse import simulator
from customer_warehouse.authenticity import score_batch, shop_account_facts
from customer_warehouse.identity.frame import shop_identity_frame

# Fake sign-ups are 3% of accounts; a score no better than this is broken.
MIN_F1 = 0.9


@pytest.fixture(scope="module")
def shop(tmp_path_factory, pg_database, keys):
    home = tmp_path_factory.mktemp("auth_shop")
    url = pg_database("auth_shop")
    simulator.simulate(
        url, customers=2000, seed=23, events_dir=home / "events", truth_dir=home / "truth", progress=False
    )
    truth = pd.read_csv(home / "truth" / "customers_truth.csv", dtype={"customer_id": str})
    return {
        "url": url,
        "frame": shop_identity_frame(url, keys),
        "facts": shop_account_facts(url, keys),
        "truth": truth.set_index("customer_id"),
    }


def test_facts_reconcile_with_shop(shop):
    engine = sa.create_engine(shop["url"])
    with engine.connect() as conn:
        orders = conn.scalar(sa.text("select count(*) from orders where deleted_at is null"))
        payments = conn.scalar(
            sa.text(
                "select count(*) from payments join orders using (order_id) where orders.deleted_at is null"
            )
        )
        customers = conn.scalar(sa.text("select count(*) from customers"))
    engine.dispose()
    facts = shop["facts"]
    assert len(facts) == customers
    assert facts["order_count"].sum() == orders
    assert facts["payment_count"].sum() == payments
    assert set(facts["customer_key"]) == set(shop["frame"]["customer_key"])


def test_fake_signups_detected(shop, config):
    scored = score_batch(shop["frame"], shop["facts"], config, run_id="simulated")
    fake = shop["truth"].loc[shop["frame"]["source_customer_id"], "is_fake"].to_numpy(dtype=bool)
    excluded = scored.accounts["is_excluded"].to_numpy(dtype=bool)
    true_positives = int((excluded & fake).sum())
    precision = true_positives / max(int(excluded.sum()), 1)
    recall = true_positives / int(fake.sum())
    f1 = 2 * precision * recall / (precision + recall)
    assert fake.sum() == 60
    assert f1 >= MIN_F1, f"precision {precision:.3f}, recall {recall:.3f}"
