"""Erasure of a person on request (the right to be forgotten of the EU's GDPR and China's PIPL).

A request names the person by an account key, a person key or an email. ``erase``:

1. finds every account of that person: the email through the vault's blind index, the
   person through identity resolution's bridge;
2. records the request (the subject as a keyed digest only) and one suppression per
   account, with a random anonymous key unrelated to the person;
3. deletes the person's records from the vault (identities, addresses, golden record);
4. deletes the accounts' raw rows (customers, addresses, clickstream events, reviews)
   and quarantine rows, keeping orders, items and payments so totals stay whole;
5. in every derived table (intermediate, candidate and published marts, identity,
   authenticity): deletes the account- and person-grain rows, and moves fact rows to the
   anonymous key;
6. gives each anonymous key the mart rows the next dbt build gives it: a bridge row in
   bdg_customer_person, and its orders marked as those of an excluded account;
7. removes the keys from stored quality results and Data Docs pages.

Afterwards the shop extraction skips the suppressed accounts, and dbt maps their orders
to the anonymous key on every later build. The source platform still holds the account:
deleting it there is the platform's part of the request.
"""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
from psycopg2.sql import SQL, Identifier

from customer_warehouse.config import Settings
from customer_warehouse.db import psycopg2_dsn
from customer_warehouse.pii import standardize as std
from customer_warehouse.pii.keys import Pseudonymizer
from customer_warehouse.pii.vault import bootstrap_vault
from customer_warehouse.warehouse import bootstrap

log = logging.getLogger(__name__)

SUBJECT_KINDS = ("customer_key", "person_key", "email")
# Schemas whose tables are scrubbed of the person's keys.
DERIVED_SCHEMAS = ("intermediate", "marts_build", "marts", "identity", "authenticity")
# Tables of those schemas that record facts the totals need: their rows move to the anonymous key.
FACT_KEY_COLUMNS = ("order_key", "order_item_key")
# Schemas of the candidate and the published marts, which analysts join through the bridge.
MART_SCHEMAS = ("marts_build", "marts")
# Raw tables with rows per shop account, and the column holding the account's id.
SHOP_RAW_TABLES = {
    "raw.shop_customers": "customer_id",
    "raw.shop_addresses": "customer_id",
    "raw.shop_events": "customer_id",
    "raw.shop_reviews": "customer_id",
}
LANDED_RAW_TABLES = {"olist": ("raw.olist_customers", "customer_id"), "crm": ("raw.crm_customers", "id")}


class ErasureError(RuntimeError):
    """An erasure request is invalid or failed; the message names the request and what to do."""


@dataclass(frozen=True)
class ErasureRequest:
    """The subject of an erasure (kind and value), the reason and the requester."""

    subject_kind: str
    subject: str
    reason: str
    requested_by: str

    def check(self) -> None:
        if self.subject_kind not in SUBJECT_KINDS:
            raise ErasureError(
                f"unknown subject kind {self.subject_kind!r}: use one of {', '.join(SUBJECT_KINDS)}"
            )
        if not self.subject or not self.subject.strip():
            raise ErasureError(f"the {self.subject_kind} to erase is empty")
        if not self.reason or not self.reason.strip():
            raise ErasureError("an erasure needs a reason, such as the ticket of the data subject's request")


@dataclass(frozen=True)
class Account:
    """One account of the person: its key, source and id in the source."""

    customer_key: str
    source: str
    source_id: str | None


@dataclass
class ErasureResult:
    """Outcome of one request: its id, status, the accounts and the rows touched per table."""

    request_id: str
    status: str
    accounts: list[Account] = field(default_factory=list)
    person_keys: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict:
        return {
            "request_id": self.request_id,
            "status": self.status,
            "accounts": len(self.accounts),
            "persons": len(self.person_keys),
            "rows": self.rows,
        }


def _connect(url: str):
    return psycopg2.connect(psycopg2_dsn(url))


def _vault_accounts(cur, where: str, value) -> list[Account]:
    cur.execute(
        f"select customer_key, source, source_customer_id from pii.customer_identities where {where}",
        (value,),
    )
    return [Account(key, source, source_id) for key, source, source_id in cur.fetchall()]


def _landed_source_ids(cur, keys: Pseudonymizer, wanted: set[str]) -> list[Account]:
    """Find Olist and CRM accounts among ``wanted`` keys by hashing their raw ids (no vault record)."""
    found = []
    for source, (table, column) in LANDED_RAW_TABLES.items():
        cur.execute("select to_regclass(%s) is not null", (table,))
        if not cur.fetchone()[0]:
            continue
        cur.execute(SQL("select distinct {}::text from {}").format(Identifier(column), SQL(table)))
        for (source_id,) in cur.fetchall():
            key = keys.customer_key(source, source_id)
            if key in wanted:
                found.append(Account(key, source, source_id))
    return found


def _person_accounts(wh_cur, seed_keys: set[str]) -> tuple[set[str], list[str]]:
    """Return every account key of the persons owning ``seed_keys``, and those person keys."""
    wh_cur.execute("select to_regclass('identity.person_accounts') is not null")
    if not wh_cur.fetchone()[0]:
        return seed_keys, []
    wh_cur.execute(
        "select distinct person_key from identity.person_accounts where customer_key = any(%s)"
        " or person_key = any(%s)",
        (list(seed_keys), list(seed_keys)),
    )
    persons = [row[0] for row in wh_cur.fetchall()]
    wh_cur.execute("select customer_key from identity.person_accounts where person_key = any(%s)", (persons,))
    return seed_keys | {row[0] for row in wh_cur.fetchall()}, persons


def resolve_accounts(
    settings: Settings, request: ErasureRequest, keys: Pseudonymizer
) -> tuple[list[Account], list[str]]:
    """Return the accounts and person keys of the request's subject (both empty when none matches)."""
    vault = _connect(settings.vault_url)
    warehouse = _connect(settings.warehouse_url)
    try:
        with vault, vault.cursor() as vcur, warehouse, warehouse.cursor() as wcur:
            if request.subject_kind == "email":
                canonical = std.canonical_email(std.normalize_email(request.subject))
                if canonical is None:
                    raise ErasureError("the email to erase is not a valid address; check it and ask again")
                seeds = {
                    a.customer_key
                    for a in _vault_accounts(vcur, "email_index = %s", keys.key("email", canonical))
                }
            else:
                seeds = {request.subject.strip().lower()}
            if not seeds:
                return [], []
            all_keys, persons = _person_accounts(wcur, seeds)
            accounts = _vault_accounts(vcur, "customer_key = any(%s)", list(all_keys))
            missing = all_keys - {a.customer_key for a in accounts}
            if missing:
                accounts += _landed_source_ids(wcur, keys, missing)
            # Keys seen nowhere (already erased, or a person key) are still scrubbed below.
            known = {a.customer_key for a in accounts}
            accounts += [Account(key, "unknown", None) for key in sorted(all_keys - known - set(persons))]
            return accounts, persons
    finally:
        vault.close()
        warehouse.close()


def _record_request(cur, request_id: str, request: ErasureRequest, keys: Pseudonymizer) -> None:
    cur.execute(
        "insert into audit.erasure_requests (request_id, requested_by, reason, subject_kind, subject_digest,"
        " status) values (%s, %s, %s, %s, %s, 'running')",
        (
            request_id,
            request.requested_by,
            request.reason.strip(),
            request.subject_kind,
            keys.key(f"erasure_{request.subject_kind}", request.subject.strip().lower()),
        ),
    )


def _suppress(cur, request_id: str, accounts: list[Account]) -> dict[str, str]:
    """Insert one suppression per account; return each account's anonymous key (kept if already erased)."""
    anonymous = {}
    for account in accounts:
        cur.execute(
            "insert into audit.erasure_suppressions (customer_key, source, anonymous_key, request_id)"
            " values (%s, %s, %s, %s)"
            " on conflict (customer_key) do update set customer_key = excluded.customer_key"
            " returning anonymous_key",
            (account.customer_key, account.source, secrets.token_hex(32), request_id),
        )
        anonymous[account.customer_key] = cur.fetchone()[0]
    return anonymous


def _erase_vault(vault_url: str, customer_keys: list[str], person_keys: list[str]) -> dict[str, int]:
    rows = {}
    conn = _connect(vault_url)
    try:
        with conn, conn.cursor() as cur:
            for table, column, values in (
                ("pii.customer_identities", "customer_key", customer_keys),
                ("pii.address_identities", "customer_key", customer_keys),
                ("pii.person_identities", "person_key", person_keys),
            ):
                cur.execute(f"delete from {table} where {column} = any(%s)", (values,))
                rows[f"vault:{table}"] = cur.rowcount
    finally:
        conn.close()
    return rows


def _erase_raw(cur, accounts: list[Account]) -> dict[str, int]:
    rows = {}
    shop_ids = [int(a.source_id) for a in accounts if a.source == "shop" and a.source_id]
    for table, column in SHOP_RAW_TABLES.items():
        cur.execute(
            SQL("delete from {} where {} = any(%s)").format(SQL(table), Identifier(column)), (shop_ids,)
        )
        rows[table] = cur.rowcount
    for source, (table, column) in LANDED_RAW_TABLES.items():
        ids = [a.source_id for a in accounts if a.source == source and a.source_id]
        cur.execute(
            SQL("delete from {} where {}::text = any(%s)").format(SQL(table), Identifier(column)), (ids,)
        )
        rows[table] = cur.rowcount
    # Quarantined versions of the accounts, and events that named them.
    text_ids = [str(i) for i in shop_ids]
    cur.execute(
        "delete from audit.quarantine where (source = 'shop' and source_object in ('customers', 'addresses')"
        " and record_key = any(%s)) or (source = 'events' and record->>'customer_id' = any(%s))",
        (text_ids, text_ids),
    )
    rows["audit.quarantine"] = cur.rowcount
    return rows


def _key_tables(cur) -> list[tuple[str, str, set[str]]]:
    """Return (schema, table, columns) of every derived base table with a customer or person key."""
    cur.execute(
        "select c.table_schema, c.table_name, array_agg(c.column_name::text)"
        " from information_schema.columns c"
        " join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name"
        " and t.table_type = 'BASE TABLE' where c.table_schema = any(%s) group by 1, 2",
        (list(DERIVED_SCHEMAS),),
    )
    return [(schema, table, set(columns)) for schema, table, columns in cur.fetchall()]


def _scrub_derived(cur, anonymous: dict[str, str], person_keys: list[str]) -> dict[str, int]:
    """Delete account- and person-grain rows of the person, move fact rows to the anonymous keys."""
    rows = {}
    customer_keys = list(anonymous)
    for schema, table, columns in _key_tables(cur):
        name = SQL("{}.{}").format(Identifier(schema), Identifier(table))
        touched = 0
        if columns & set(FACT_KEY_COLUMNS) and "customer_key" in columns:
            for key, anonymous_key in anonymous.items():
                person = ", person_key = %s" if "person_key" in columns else ""
                # The anonymous key's account is excluded from the marts, as in fct_orders.sql.
                excluded = ", is_excluded_customer = true" if "is_excluded_customer" in columns else ""
                params = (anonymous_key, *([anonymous_key] if person else []), key)
                cur.execute(
                    SQL(
                        f"update {{}} set customer_key = %s{person}{excluded} where customer_key = %s"
                    ).format(name),
                    params,
                )
                touched += cur.rowcount
        else:
            for column in ("customer_key", "customer_key_l", "customer_key_r", "linked_to_customer_key"):
                if column in columns:
                    cur.execute(
                        SQL("delete from {} where {} = any(%s)").format(name, Identifier(column)),
                        (customer_keys,),
                    )
                    touched += cur.rowcount
            for column in ("person_key", "other_person_key", "merged_into_person_key"):
                if column in columns:
                    cur.execute(
                        SQL("delete from {} where {} = any(%s)").format(name, Identifier(column)),
                        (person_keys,),
                    )
                    touched += cur.rowcount
        if touched:
            rows[f"{schema}.{table}"] = touched
    return rows


def _bridge_anonymous_keys(cur, accounts: list[Account], anonymous: dict[str, str]) -> dict[str, int]:
    """Insert a bridge row per anonymous key into bdg_customer_person of both mart schemas.

    The erased person's orders keep counting in revenue under the anonymous keys, so an
    analyst joining fct_orders or fct_order_items to the bridge must still find each key,
    and the marts suite checks exactly that. The row is the one the next dbt build makes
    from the account's placeholder in int_customers_conformed: an unresolved account that
    is its own person, excluded from dim_customers and not under review. Writing the same
    row here keeps the marts consistent until that build, which then changes nothing.
    """
    rows = {}
    sources = {a.customer_key: a.source for a in accounts}
    for schema in MART_SCHEMAS:
        cur.execute("select to_regclass(%s) is not null", (f"{schema}.bdg_customer_person",))
        if not cur.fetchone()[0]:
            continue
        name = SQL("{}.bdg_customer_person").format(Identifier(schema))
        inserted = 0
        for key, anonymous_key in anonymous.items():
            # A repeated request keeps its anonymous key, which may already have its row.
            cur.execute(
                SQL(
                    "insert into {} (customer_key, person_key, source, link_rule, link_probability,"
                    " is_resolved, is_excluded) select %s, %s, %s, 'unresolved', null, false, true"
                    " where not exists (select 1 from {} where customer_key = %s)"
                ).format(name, name),
                (anonymous_key, anonymous_key, sources[key], anonymous_key),
            )
            inserted += cur.rowcount
        if inserted:
            rows[f"{schema}.bdg_customer_person:added"] = inserted
    return rows


def _scrub_quality(cur, data_docs_dir: Path, keys: list[str]) -> dict[str, int]:
    """Replace the keys in stored quality results and Data Docs pages with ``erased``."""
    rows = 0
    for key in keys:
        cur.execute(
            "update audit.quality_results set details = replace(details::text, %s, 'erased')::jsonb,"
            " observed_value = replace(observed_value, %s, 'erased')"
            " where details::text like '%%' || %s || '%%' or observed_value like '%%' || %s || '%%'",
            (key, key, key, key),
        )
        rows += cur.rowcount
    pages = 0
    if data_docs_dir.is_dir():
        for path in data_docs_dir.rglob("*"):
            if not path.is_file() or path.suffix not in (".html", ".json"):
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            cleaned = text
            for key in keys:
                cleaned = cleaned.replace(key, "erased")
            if cleaned != text:
                path.write_text(cleaned, encoding="utf-8")
                pages += 1
    return {"audit.quality_results": rows, "data_docs_pages": pages}


def erase(settings: Settings, request: ErasureRequest) -> ErasureResult:
    """Erase the person the request names everywhere but the source; return what was done.

    The warehouse part runs in one transaction, after the vault part. Should it fail, the
    vault records are gone but every warehouse row is still there. Running the same
    request again then finishes the job, because suppressions are kept by account key.
    """
    request.check()
    keys = Pseudonymizer.from_env()
    bootstrap(settings.warehouse_url).dispose()
    bootstrap_vault(settings.vault_url)
    request_id = f"erasure-{uuid.uuid4().hex[:12]}"
    accounts, persons = resolve_accounts(settings, request, keys)
    result = ErasureResult(request_id, "not_found" if not accounts else "done", accounts, persons)
    conn = _connect(settings.warehouse_url)
    try:
        with conn, conn.cursor() as cur:
            _record_request(cur, request_id, request, keys)
        if not accounts:
            _finish(conn, result)
            log.warning("erasure %s found no account for the %s given", request_id, request.subject_kind)
            return result
        customer_keys = [a.customer_key for a in accounts]
        result.rows.update(_erase_vault(settings.vault_url, customer_keys, persons))
        with conn, conn.cursor() as cur:
            anonymous = _suppress(cur, request_id, accounts)
            result.rows.update(_erase_raw(cur, accounts))
            result.rows.update(_scrub_derived(cur, anonymous, persons))
            result.rows.update(_bridge_anonymous_keys(cur, accounts, anonymous))
            result.rows.update(_scrub_quality(cur, settings.data_docs_dir, customer_keys + persons))
        _finish(conn, result)
    except Exception:
        conn.rollback()
        result.status = "failed"
        _finish(conn, result)
        log.exception("erasure %s failed; run the same request again to finish it", request_id)
        raise
    finally:
        conn.close()
    log.info(
        "erasure %s done: %s accounts of %s persons, rows %s",
        request_id,
        len(accounts),
        len(persons),
        json.dumps(result.rows, sort_keys=True),
    )
    return result


def _finish(conn, result: ErasureResult) -> None:
    with conn, conn.cursor() as cur:
        cur.execute(
            "update audit.erasure_requests set status = %s, accounts = %s, details = %s, completed_at = now()"
            " where request_id = %s",
            (result.status, len(result.accounts), json.dumps(result.rows), result.request_id),
        )
