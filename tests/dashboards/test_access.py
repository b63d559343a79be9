"""Superset roles, row-level security and users, checked in a running Superset as each user."""

from __future__ import annotations

import io
import secrets
import zipfile
from dataclasses import replace

import pytest

from customer_warehouse.dashboards import SupersetClient, SupersetConfig, SupersetError
from customer_warehouse.superset_access import (
    ANALYST,
    BUSINESS_VIEWER,
    SQL_LAB_DATABASE,
    Region,
    apply_superset_security,
    ensure_users,
    parse_regions,
    password_variable,
    viewer_permission_ids,
)
from tests.dashboards.conftest import DASHBOARD_SLUGS, query_one

REGION = Region("SP", ("SP",))
USERS = {
    "viewer": [BUSINESS_VIEWER],
    "analyst": [ANALYST],
    "manager_sp": [BUSINESS_VIEWER, REGION.role],
}


@pytest.fixture(scope="module")
def security(superset_client: SupersetClient, superset_cfg: SupersetConfig) -> SupersetConfig:
    """Apply roles, RLS and users twice (the second run must change nothing); return the settings."""
    passwords = {password_variable(name): secrets.token_urlsafe(16) for name in USERS}
    cfg = replace(superset_cfg, env={**superset_cfg.env, **passwords})
    for _ in range(2):
        apply_superset_security(cfg, [REGION])
        ensure_users(cfg, USERS)
    return cfg


def login(cfg: SupersetConfig, username: str) -> SupersetClient:
    return SupersetClient(cfg, username=username, password=cfg.env[password_variable(username)])


def status(client: SupersetClient, method: str, path: str, **kwargs) -> int:
    return client.session.request(method, f"{client.base}{path}", timeout=120, **kwargs).status_code


def dataset_id(client: SupersetClient, table_name: str) -> int:
    datasets = client.call("GET", "/dataset/", params={"q": "(columns:!(id,table_name),page_size:100)"})
    return next(item["id"] for item in datasets["result"] if item["table_name"] == table_name)


def sql_lab_database_id(client: SupersetClient) -> int:
    databases = client.call("GET", "/database/", params={"q": "(page_size:100)"})["result"]
    return next(item["id"] for item in databases if item["database_name"] == SQL_LAB_DATABASE)


def rows_by_state(client: SupersetClient, dataset: int) -> dict[str | None, int]:
    payload = {
        "datasource": {"id": dataset, "type": "table"},
        "queries": [
            {
                "columns": ["state"],
                "metrics": [{"expressionType": "SQL", "sqlExpression": "count(*)", "label": "rows"}],
                "row_limit": 1000,
            }
        ],
        "result_format": "json",
        "result_type": "full",
    }
    result = client.call("POST", "/chart/data", json=payload)["result"][0]
    return {row["state"]: row["rows"] for row in result["data"]}


pytestmark = [pytest.mark.superset, pytest.mark.slow]


def test_viewer_opens_dashboards(security: SupersetConfig) -> None:
    viewer = login(security, "viewer")
    for slug in DASHBOARD_SLUGS:
        dashboard = viewer.call("GET", f"/dashboard/{slug}")["result"]
        charts = viewer.call("GET", f"/dashboard/{dashboard['id']}/charts")["result"]
        assert charts, slug
        for chart in charts:
            data = viewer.call("GET", f"/chart/{chart['id']}/data/")["result"]
            assert data[0]["rowcount"] > 0, f"{slug}: {chart['slice_name']} returned no rows to the viewer"


def test_viewer_has_no_sql_lab(security: SupersetConfig, superset_client: SupersetClient) -> None:
    viewer = login(security, "viewer")
    database_id = sql_lab_database_id(superset_client)
    payload = {"database_id": database_id, "sql": "select 1", "runAsync": False}
    assert status(viewer, "POST", "/sqllab/execute/", json=payload) in (401, 403)


def test_viewer_cannot_edit_dataset(security: SupersetConfig) -> None:
    viewer = login(security, "viewer")
    dataset = dataset_id(viewer, "customers_current")
    assert status(viewer, "PUT", f"/dataset/{dataset}", json={"description": "edited"}) in (401, 403)


def test_viewer_permissions_read_only() -> None:
    gamma = [
        {"id": 1, "permission_name": "can_read", "view_menu_name": "Dataset"},
        {"id": 2, "permission_name": "can_write", "view_menu_name": "Dashboard"},
        {"id": 3, "permission_name": "can_write", "view_menu_name": "DashboardFilterStateRestApi"},
    ]
    assert viewer_permission_ids(gamma) == [1, 3]


def test_analyst_runs_sql_lab(security: SupersetConfig, populated_warehouse: str) -> None:
    analyst = login(security, "analyst")
    database_id = sql_lab_database_id(analyst)
    payload = {
        "database_id": database_id,
        "sql": "select count(*) as n from marts.dim_customers",
        "runAsync": False,
    }
    result = analyst.call("POST", "/sqllab/execute/", json=payload)
    expected = query_one(populated_warehouse, "select count(*) from marts.dim_customers")
    assert result["data"] == [{"n": expected}]


def test_analyst_sql_lab_refused_raw(security: SupersetConfig) -> None:
    analyst = login(security, "analyst")
    database_id = sql_lab_database_id(analyst)
    payload = {
        "database_id": database_id,
        "sql": "select * from raw.shop_customers limit 1",
        "runAsync": False,
    }
    response = analyst.session.post(f"{analyst.base}/sqllab/execute/", json=payload, timeout=120)
    assert response.status_code >= 400
    assert "permission denied" in response.text


@pytest.mark.parametrize("table_name", ["customers_current", "orders_placed", "customer_segments"])
def test_regional_manager_sees_own_states(security: SupersetConfig, table_name: str) -> None:
    viewer = login(security, "viewer")
    manager = login(security, "manager_sp")
    dataset = dataset_id(viewer, table_name)
    everyone = rows_by_state(viewer, dataset)
    assert len(everyone) > 1, f"{table_name} has one state only, so the filter would prove nothing"
    assert rows_by_state(manager, dataset) == {"SP": everyone["SP"]}


def test_regional_manager_number_matches_sql(security: SupersetConfig, populated_warehouse: str) -> None:
    manager = login(security, "manager_sp")
    dashboard = manager.call("GET", "/dashboard/customer-overview")["result"]
    charts = manager.call("GET", f"/dashboard/{dashboard['id']}/charts")["result"]
    customers = next(chart for chart in charts if chart["slice_name"] == "Customers")
    data = manager.call("GET", f"/chart/{customers['id']}/data/")["result"][0]["data"]
    expected = query_one(
        populated_warehouse, "select count(*) from marts.dim_customers where not is_deleted and state = 'SP'"
    )
    assert list(data[0].values()) == [expected]


def test_export_holds_no_password(security: SupersetConfig, superset_client: SupersetClient) -> None:
    ids = [item["id"] for item in superset_client.call("GET", "/dashboard/")["result"]]
    response = superset_client.session.get(
        f"{superset_client.base}/dashboard/export/",
        params={"q": f"!({','.join(map(str, ids))})"},
        timeout=120,
    )
    assert response.status_code == 200
    passwords = [
        security.get(name).encode() for name in ("CW_DASHBOARD_DB_PASSWORD", "CW_ANALYST_DB_PASSWORD")
    ]
    assert all(passwords)
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
        assert any("/databases/" in name for name in names)
        for name in names:
            content = archive.read(name)
            for password in passwords:
                assert password not in content, f"{name} contains a warehouse password"


def test_metadata_stores_no_password(security: SupersetConfig) -> None:
    stored = query_one(security.metadata_uri, "select count(*) from dbs where password is not null")
    assert stored == 0


def test_security_rerun_keeps_counts(security: SupersetConfig, superset_client: SupersetClient) -> None:
    def counts() -> tuple[int, int]:
        roles = superset_client.call("GET", "/security/roles/", params={"q": "(page_size:100)"})["count"]
        rules = superset_client.call("GET", "/rowlevelsecurity/", params={"q": "(page_size:100)"})["count"]
        return roles, rules

    before = counts()
    apply_superset_security(security, [REGION])
    assert counts() == before


def test_invalid_region_rejected() -> None:
    with pytest.raises(SupersetError, match="invalid CW_SUPERSET_REGIONS entry"):
        parse_regions("SP:SP,'); drop table x; --")
