"""Superset roles, row-level security and users, applied through Superset's REST API.

Bundles of dashboards carry no roles or RLS rules, so ``cw superset security`` sets them
up on a running Superset, and is safe to repeat:

- **Business viewer**: Gamma's permissions without any write permission on dashboards,
  charts, datasets or databases, plus access to the dashboards' database connection
  (the dashboard role). No SQL Lab.
- **Analyst**: the business viewer's permissions, SQL Lab (the ``sql_lab`` role's
  permissions) and access to SQL Lab's connection, which uses the analyst role.
- **Regional manager <region>**: no permission of its own; an RLS rule limits every
  dataset with a ``state`` column to the region's states. Give it to a user together
  with Business viewer.

``cw superset users`` creates or updates the users listed in ``CW_SUPERSET_USERS``, each
with the password in ``CW_SUPERSET_PASSWORD_<USERNAME>`` (upper case, ``_`` for other
characters).

| variable            | default                                                     |
|---------------------|-------------------------------------------------------------|
| CW_SUPERSET_REGIONS | ``SP:SP``: ``region:STATE,STATE;...``                       |
| CW_SUPERSET_USERS   | empty: ``username:Role+Role;...``, e.g. ``ana:Analyst``     |
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass

from customer_warehouse.dashboards import SupersetClient, SupersetConfig, SupersetError

log = logging.getLogger(__name__)

BUSINESS_VIEWER = "Business viewer"
ANALYST = "Analyst"
DASHBOARDS_DATABASE = "Customer warehouse"
SQL_LAB_DATABASE = "Customer warehouse (SQL Lab)"
REGION_ROLE = "Regional manager {region}"
RLS_COLUMN = "state"
# The business viewer keeps only read permissions on these views of Gamma.
READ_ONLY_VIEWS = {
    "Annotation",
    "Chart",
    "CssTemplate",
    "Dashboard",
    "Database",
    "Dataset",
    "Datasource",
    "Query",
    "ReportSchedule",
    "SavedQuery",
    "Tag",
}
WRITE_PERMISSIONS = {"can_write", "can_add", "can_edit", "can_delete", "muldelete"}
STATE_CODE = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class Region:
    name: str
    states: tuple[str, ...]

    @property
    def role(self) -> str:
        return REGION_ROLE.format(region=self.name)

    @property
    def clause(self) -> str:
        # States are checked against STATE_CODE, so quoting them here is safe.
        return f"{RLS_COLUMN} in ({', '.join(repr(state) for state in self.states)})"


def parse_regions(text: str) -> list[Region]:
    """Parse ``region:STATE,STATE;...``; raise SupersetError naming an invalid entry."""
    regions = []
    for entry in filter(None, (part.strip() for part in text.split(";"))):
        name, _, states = entry.partition(":")
        codes = tuple(code.strip() for code in states.split(",") if code.strip())
        if not name.strip() or not codes or not all(STATE_CODE.match(code) for code in codes):
            raise SupersetError(
                f"invalid CW_SUPERSET_REGIONS entry {entry!r}: expected region:STATE,STATE with "
                "two-letter upper-case state codes, e.g. Sudeste:SP,RJ,MG,ES"
            )
        regions.append(Region(name.strip(), codes))
    return regions


def _pages(client: SupersetClient, path: str, columns: str = "") -> list[dict]:
    items: list[dict] = []
    page = 0
    while True:
        query = f"({columns}page:{page},page_size:100)"
        result = client.call("GET", path, params={"q": query})["result"]
        items.extend(result)
        if len(result) < 100:
            return items
        page += 1


def _roles(client: SupersetClient) -> dict[str, int]:
    return {item["name"]: item["id"] for item in _pages(client, "/security/roles/")}


def ensure_role(client: SupersetClient, name: str) -> int:
    existing = _roles(client)
    if name in existing:
        return existing[name]
    role_id = client.call("POST", "/security/roles/", json={"name": name})["id"]
    log.info("created Superset role %r (id %s)", name, role_id)
    return role_id


def _role_permissions(client: SupersetClient, role_id: int) -> list[dict]:
    return client.call("GET", f"/security/roles/{role_id}/permissions/")["result"]


def _database_access_id(client: SupersetClient, database: str) -> int:
    for item in _pages(client, "/security/permissions-resources/"):
        view = item["view_menu"]["name"]
        if item["permission"]["name"] == "database_access" and view.startswith(f"[{database}].(id:"):
            return item["id"]
    raise SupersetError(
        f"no database_access permission for the Superset database {database!r}: import the dashboards "
        "first (cw superset import)"
    )


def viewer_permission_ids(gamma: list[dict]) -> list[int]:
    """Return Gamma's permissions without the write permissions on ``READ_ONLY_VIEWS``."""
    return [
        item["id"]
        for item in gamma
        if not (item["view_menu_name"] in READ_ONLY_VIEWS and item["permission_name"] in WRITE_PERMISSIONS)
    ]


def _set_permissions(client: SupersetClient, role: str, ids: list[int]) -> None:
    role_id = ensure_role(client, role)
    client.call("POST", f"/security/roles/{role_id}/permissions", json={"permission_view_menu_ids": ids})
    log.info("set %d permissions on Superset role %r", len(ids), role)


def _state_datasets(client: SupersetClient) -> list[int]:
    ids = []
    for item in _pages(client, "/dataset/", "columns:!(id,table_name),"):
        columns = client.call("GET", f"/dataset/{item['id']}")["result"]["columns"]
        if any(column["column_name"] == RLS_COLUMN for column in columns):
            ids.append(item["id"])
    return ids


def _ensure_rls(client: SupersetClient, region: Region, tables: list[int], role_id: int) -> None:
    name = f"Region {region.name}"
    payload = {
        "name": name,
        "filter_type": "Regular",
        "tables": tables,
        "roles": [role_id],
        "group_key": RLS_COLUMN,
        "clause": region.clause,
        "description": f"{region.role} sees only rows of {', '.join(region.states)}.",
    }
    existing = {item["name"]: item["id"] for item in _pages(client, "/rowlevelsecurity/")}
    if name in existing:
        client.call("PUT", f"/rowlevelsecurity/{existing[name]}", json=payload)
    else:
        client.call("POST", "/rowlevelsecurity/", json=payload)
    log.info("RLS rule %r: %s on %d datasets", name, region.clause, len(tables))


def apply_superset_security(cfg: SupersetConfig, regions: list[Region]) -> None:
    """Create or update the Business viewer, Analyst and regional roles and their RLS rules."""
    client = SupersetClient(cfg)
    roles = _roles(client)
    missing = [name for name in ("Gamma", "sql_lab") if name not in roles]
    if missing:
        raise SupersetError(f"Superset roles {missing} not found: run `cw superset init` first")
    viewer = viewer_permission_ids(_role_permissions(client, roles["Gamma"]))
    viewer.append(_database_access_id(client, DASHBOARDS_DATABASE))
    _set_permissions(client, BUSINESS_VIEWER, viewer)
    sql_lab = [item["id"] for item in _role_permissions(client, roles["sql_lab"])]
    analyst = sorted({*viewer, *sql_lab, _database_access_id(client, SQL_LAB_DATABASE)})
    _set_permissions(client, ANALYST, analyst)
    tables = _state_datasets(client)
    if not tables:
        raise SupersetError(f"no dataset has a {RLS_COLUMN!r} column: import the dashboards first")
    for region in regions:
        role_id = ensure_role(client, region.role)
        _ensure_rls(client, region, tables, role_id)


def password_variable(username: str) -> str:
    return "CW_SUPERSET_PASSWORD_" + re.sub(r"[^A-Z0-9]", "_", username.upper())


def parse_users(text: str) -> dict[str, list[str]]:
    """Parse ``username:Role+Role;...`` into roles by username."""
    users = {}
    for entry in filter(None, (part.strip() for part in text.split(";"))):
        username, _, roles = entry.partition(":")
        names = [role.strip() for role in roles.split("+") if role.strip()]
        if not username.strip() or not names:
            raise SupersetError(f"invalid CW_SUPERSET_USERS entry {entry!r}: expected username:Role+Role")
        users[username.strip()] = names
    return users


def ensure_users(cfg: SupersetConfig, users: dict[str, list[str]]) -> None:
    """Create or update each user with its roles and the password from its variable."""
    missing = [password_variable(name) for name in users if not cfg.get(password_variable(name))]
    if missing:
        raise SupersetError(f"{', '.join(missing)} not set: each Superset user needs its password")
    client = SupersetClient(cfg)
    roles = _roles(client)
    existing = {item["username"]: item["id"] for item in _pages(client, "/security/users/")}
    for username, role_names in users.items():
        unknown = [name for name in role_names if name not in roles]
        if unknown:
            raise SupersetError(
                f"user {username}: Superset roles {unknown} not found: run `cw superset security`"
            )
        payload = {
            "username": username,
            "first_name": username,
            "last_name": "(customer warehouse)",
            "email": f"{username}@localhost",
            "active": True,
            "roles": [roles[name] for name in role_names],
            "password": cfg.get(password_variable(username)),
        }
        if username in existing:
            client.call("PUT", f"/security/users/{existing[username]}", json=payload)
        else:
            client.call("POST", "/security/users/", json=payload)
        log.info("Superset user %s has roles %s", username, ", ".join(role_names))


def regions_from_env() -> list[Region]:
    return parse_regions(os.environ.get("CW_SUPERSET_REGIONS", "SP:SP"))


def users_from_env() -> dict[str, list[str]]:
    return parse_users(os.environ.get("CW_SUPERSET_USERS", ""))
