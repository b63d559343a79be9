"""Write the Airflow connections ``cw_warehouse``, ``cw_shop`` and ``cw_vault`` from the ``CW_*`` URLs.

Run by the ``airflow-init`` service after ``airflow db migrate``. Every start replaces
both connections, so a changed URL in ``.env`` takes effect on the next start. The
pipeline itself reads the ``CW_*`` variables; the connections serve hooks, the UI and
ad hoc tasks.
"""

from __future__ import annotations

import logging
import os
import sys

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

log = logging.getLogger("customer_warehouse.docker.connections")

# Airflow connection id -> environment variable with its SQLAlchemy URL.
CONNECTION_URLS = {"cw_warehouse": "CW_WAREHOUSE_URL", "cw_shop": "CW_SHOP_URL", "cw_vault": "CW_VAULT_URL"}

# SQLAlchemy backend name -> Airflow connection type.
CONNECTION_TYPES = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql"}


def connection_fields(url: str) -> dict[str, object]:
    """Translate a SQLAlchemy URL into the fields of an Airflow ``Connection``."""
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        # The URL contains a password, so the message leaves the value out.
        raise ValueError("invalid URL: expected dialect+driver://user:password@host:port/database") from error
    backend = parsed.get_backend_name()
    if backend not in CONNECTION_TYPES:
        raise ValueError(
            f"unsupported database backend {backend!r}: expected one of {sorted(CONNECTION_TYPES)}"
        )
    return {
        "conn_type": CONNECTION_TYPES[backend],
        "host": parsed.host,
        "port": parsed.port,
        "login": parsed.username,
        "password": parsed.password,
        "schema": parsed.database,
    }


def connections_from_env(env: dict[str, str]) -> dict[str, dict[str, object]]:
    """Build every connection of ``CONNECTION_URLS`` from ``env``.

    Raises ValueError naming the variable when one is missing or invalid.
    """
    connections = {}
    for conn_id, variable in CONNECTION_URLS.items():
        url = env.get(variable)
        if not url:
            raise ValueError(f"{variable} is not set: the {conn_id} connection is built from it")
        try:
            connections[conn_id] = connection_fields(url)
        except ValueError as error:
            raise ValueError(f"{variable}: {error}") from error
    return connections


def store_connections(connections: dict[str, dict[str, object]]) -> None:
    """Replace ``connections`` in Airflow's metadata database, in one transaction.

    Deleting and re-adding, rather than updating, never decrypts the stored password, so a
    new ``AIRFLOW__CORE__FERNET_KEY`` does not break the next start.
    """
    # Imported here so the pure functions above work without an Airflow installation.
    from airflow.models.connection import Connection
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    with create_session() as session:
        session.execute(delete(Connection).where(Connection.conn_id.in_(list(connections))))
        for conn_id, fields in connections.items():
            session.add(Connection(conn_id=conn_id, **fields))
    for conn_id, fields in connections.items():
        log.info("wrote connection %s (%s:%s/%s)", conn_id, fields["host"], fields["port"], fields["schema"])


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        connections = connections_from_env(dict(os.environ))
    except ValueError as error:
        log.error("writing the Airflow connections failed: %s", error)
        return 1
    store_connections(connections)
    return 0


if __name__ == "__main__":
    sys.exit(main())
