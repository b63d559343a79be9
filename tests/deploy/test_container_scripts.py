"""Run the containers' setup scripts of docker/ against the local PostgreSQL, without Docker.

The scripts run with the project's environments in place of the images' (same Airflow and
Superset versions), on throwaway metadata databases.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from customer_warehouse.config import REPO_ROOT

DOCKER_DIR = REPO_ROOT / "docker"
PIPELINE_BIN = Path(sys.executable).parent
SUPERSET_BIN = REPO_ROOT / ".venv" / "superset" / "bin"
TELEMETRY_OFF = {
    "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
    "SCARF_ANALYTICS": "false",
    "DO_NOT_TRACK": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "GX_ANALYTICS_ENABLED": "False",
}


def load_connections_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "airflow_connections", DOCKER_DIR / "airflow_connections.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


connections = load_connections_module()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env(home: Path, bin_dir: Path) -> dict[str, str]:
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", **TELEMETRY_OFF}


# --- airflow_connections.py ----------------------------------------------------------------


def test_connection_fields_postgres() -> None:
    fields = connections.connection_fields("postgresql+psycopg2://cw:pw-1@postgres:5432/warehouse")
    assert fields == {
        "conn_type": "postgres",
        "host": "postgres",
        "port": 5432,
        "login": "cw",
        "password": "pw-1",
        "schema": "warehouse",
    }


def test_connection_fields_mysql() -> None:
    assert connections.connection_fields("mysql+pymysql://root@db:3306/shop")["conn_type"] == "mysql"


def test_connection_fields_unsupported_backend() -> None:
    with pytest.raises(ValueError, match="unsupported database backend 'sqlite'"):
        connections.connection_fields("sqlite:///shop.db")


def test_connection_fields_invalid_url_hides_value() -> None:
    with pytest.raises(ValueError, match="invalid URL") as error:
        connections.connection_fields("not a url with pw-secret")
    assert "pw-secret" not in str(error.value)


def test_connections_from_env_missing_variable() -> None:
    with pytest.raises(ValueError, match="CW_SHOP_URL is not set"):
        connections.connections_from_env({"CW_WAREHOUSE_URL": "postgresql://u:p@h/warehouse"})


# --- airflow-init.sh and airflow-apiserver.sh ----------------------------------------------


@pytest.fixture(scope="module")
def airflow_env(pg_database, tmp_path_factory) -> dict[str, str]:
    """Return the environment of an Airflow deployment on a throwaway metadata database."""
    home = tmp_path_factory.mktemp("airflow")
    return {
        **base_env(home, PIPELINE_BIN),
        "AIRFLOW_HOME": str(home / "airflow"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg_database("deploy_airflow"),
        "AIRFLOW__CORE__FERNET_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "CW_HOME": str(home / "cw_home"),
        "CW_WAREHOUSE_URL": "postgresql+psycopg2://cw:pw-warehouse-1@postgres:5432/warehouse",
        "CW_SHOP_URL": "mysql+pymysql://shop:pw-shop-1@shop-db:3306/shop",
        "CW_VAULT_URL": "postgresql+psycopg2://vault:pw-vault-1@vault-postgres:5432/vault",
    }


def run_airflow_init(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(DOCKER_DIR / "airflow-init.sh")], env=env, capture_output=True, text=True, check=False
    )


def stored_connection(env: dict[str, str], conn_id: str) -> dict[str, object]:
    """Read a connection row from the metadata database and decrypt its password.

    Reads the table directly: ``airflow connections get`` takes about 12 s to start.
    """
    engine = sa.create_engine(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "select conn_type, host, port, login, password, schema, is_encrypted "
                    "from connection where conn_id = :conn_id"
                ),
                {"conn_id": conn_id},
            ).one()
    finally:
        engine.dispose()
    fields = dict(row._mapping)
    assert fields.pop("is_encrypted"), f"{conn_id}: password stored without encryption"
    fields["password"] = (
        Fernet(env["AIRFLOW__CORE__FERNET_KEY"]).decrypt(fields["password"].encode()).decode()
    )
    return fields


@pytest.fixture(scope="module")
def initialised_airflow(airflow_env: dict[str, str]) -> dict[str, str]:
    result = run_airflow_init(airflow_env)
    assert result.returncode == 0, result.stdout + result.stderr
    return airflow_env


@pytest.mark.slow
def test_airflow_init_writes_connections(initialised_airflow: dict[str, str]) -> None:
    warehouse = stored_connection(initialised_airflow, "cw_warehouse")
    assert warehouse["conn_type"] == "postgres"
    assert warehouse["host"] == "postgres"
    assert warehouse["login"] == "cw"
    assert warehouse["password"] == "pw-warehouse-1"
    assert warehouse["schema"] == "warehouse"
    assert stored_connection(initialised_airflow, "cw_shop")["conn_type"] == "mysql"
    vault = stored_connection(initialised_airflow, "cw_vault")
    assert (vault["host"], vault["login"], vault["password"]) == ("vault-postgres", "vault", "pw-vault-1")


@pytest.mark.slow
def test_airflow_init_creates_state_folders(initialised_airflow: dict[str, str]) -> None:
    home = Path(initialised_airflow["CW_HOME"])
    for folder in ("landing/events", "landing/olist", "truth", "data_docs"):
        assert (home / folder).is_dir(), folder


@pytest.mark.slow
def test_airflow_init_rerun_replaces_connection(initialised_airflow: dict[str, str]) -> None:
    # A second start with a new URL and a new Fernet key replaces the connection.
    env = {
        **initialised_airflow,
        "AIRFLOW__CORE__FERNET_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "CW_WAREHOUSE_URL": "postgresql+psycopg2://cw:pw-warehouse-2@postgres:5432/warehouse",
    }
    result = run_airflow_init(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert stored_connection(env, "cw_warehouse")["password"] == "pw-warehouse-2"


@pytest.mark.slow
def test_airflow_init_invalid_url_fails(initialised_airflow: dict[str, str]) -> None:
    result = run_airflow_init({**initialised_airflow, "CW_SHOP_URL": "sqlite:///shop.db"})
    assert result.returncode != 0
    assert "CW_SHOP_URL: unsupported database backend 'sqlite'" in result.stdout + result.stderr


def request_token(port: int, username: str, password: str) -> int:
    body = json.dumps({"username": username, "password": password}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/auth/token", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_for_health(port: int, process: subprocess.Popen, log_path: Path, timeout_seconds: int = 180) -> None:
    url = f"http://127.0.0.1:{port}/api/v2/monitor/health"
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"API server exited: {log_path.read_text()[-3000:]}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(1)
    raise AssertionError(f"API server not healthy after {timeout_seconds} s: {log_path.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def apiserver(initialised_airflow: dict[str, str], tmp_path_factory) -> Iterator[tuple[int, Path]]:
    """Start docker/airflow-apiserver.sh on a free port; yield the port and the passwords file."""
    folder = tmp_path_factory.mktemp("apiserver")
    port = free_port()
    passwords_file = folder / "passwords.json"
    env = {
        **initialised_airflow,
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API_AUTH__JWT_SECRET": "jwt-secret-for-the-test-only",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "operator:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file),
        "AIRFLOW_ADMIN_USERNAME": "operator",
        "AIRFLOW_ADMIN_PASSWORD": "pw-ui-test-1",
    }
    passwords_file.write_text(json.dumps({"operator": "stale-password"}))
    log_path = folder / "apiserver.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            ["bash", str(DOCKER_DIR / "airflow-apiserver.sh")],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_health(port, process, log_path)
        yield port, passwords_file
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.mark.slow
def test_apiserver_accepts_env_password(apiserver: tuple[int, Path]) -> None:
    port, _ = apiserver
    assert request_token(port, "operator", "pw-ui-test-1") == 201


@pytest.mark.slow
def test_apiserver_rejects_stale_password(apiserver: tuple[int, Path]) -> None:
    port, _ = apiserver
    assert request_token(port, "operator", "stale-password") == 401


@pytest.mark.slow
def test_apiserver_passwords_file_private(apiserver: tuple[int, Path]) -> None:
    _, passwords_file = apiserver
    assert passwords_file.stat().st_mode & 0o077 == 0


# --- superset-init.sh ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def superset_env(pg_database, tmp_path_factory) -> dict[str, str]:
    assert (SUPERSET_BIN / "superset").exists(), (
        f"Superset environment not found at {SUPERSET_BIN}: run make install-superset"
    )
    home = tmp_path_factory.mktemp("superset")
    return {
        **base_env(home, SUPERSET_BIN),
        "SUPERSET_SECRET_KEY": "superset-secret-for-the-test-only",
        "SUPERSET_DATABASE_URI": pg_database("deploy_superset"),
        "SUPERSET_CACHE_REDIS_URL": "simple",
        "SUPERSET_CONFIG_PATH": str(REPO_ROOT / "superset" / "superset_config.py"),
        "SUPERSET_HOME": str(home / "superset_home"),
        "SUPERSET_ADMIN_USERNAME": "dashboards-admin",
        "SUPERSET_ADMIN_EMAIL": "dashboards-admin@example.com",
        "SUPERSET_ADMIN_PASSWORD": "pw-superset-test-1",
        "CW_PLUGINS_DIR": str(REPO_ROOT / "plugins"),
        "CW_SUPERSET_VENV": str(SUPERSET_BIN.parent),
        "CW_SUPERSET_HOME": str(home / "superset_home"),
        "CW_WAREHOUSE_URL": pg_database("deploy_warehouse"),
    }


def run_superset_init(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(DOCKER_DIR / "superset-init.sh")], env=env, capture_output=True, text=True, check=False
    )


def check_superset_password(env: dict[str, str], password_hash: str, password: str) -> bool:
    # Checked in Superset's environment, whose werkzeug wrote the hash.
    result = subprocess.run(
        [
            str(SUPERSET_BIN / "python"),
            "-c",
            "import sys; from werkzeug.security import check_password_hash as c; "
            "sys.exit(0 if c(sys.argv[1], sys.argv[2]) else 1)",
            password_hash,
            password,
        ],
        env=env,
        check=False,
    )
    return result.returncode == 0


def query_superset(env: dict[str, str], sql: str, **params: str) -> list[sa.Row]:
    engine = sa.create_engine(env["SUPERSET_DATABASE_URI"])
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).all()
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def initialised_superset(superset_env: dict[str, str]) -> dict[str, str]:
    first = run_superset_init(superset_env)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    return superset_env


@pytest.mark.slow
@pytest.mark.superset
def test_superset_init_creates_admin(initialised_superset: dict[str, str]) -> None:
    rows = query_superset(
        initialised_superset,
        "select u.password, r.name from ab_user u join ab_user_role ur on ur.user_id = u.id "
        "join ab_role r on r.id = ur.role_id where u.username = :name",
        name="dashboards-admin",
    )
    assert len(rows) == 1
    password_hash, role = rows[0]
    assert role == "Admin"
    assert check_superset_password(initialised_superset, password_hash, "pw-superset-test-1")


@pytest.mark.slow
@pytest.mark.superset
def test_superset_init_imports_dashboards(initialised_superset: dict[str, str]) -> None:
    titles = [
        row[0] for row in query_superset(initialised_superset, "select dashboard_title from dashboards")
    ]
    assert titles, "superset-init imported no dashboard"
    uris = [row[0] for row in query_superset(initialised_superset, "select sqlalchemy_uri from dbs")]
    warehouse = sa.engine.make_url(initialised_superset["CW_WAREHOUSE_URL"]).database
    assert any(uri.endswith(f"/{warehouse}") for uri in uris), uris


@pytest.mark.slow
@pytest.mark.superset
def test_superset_init_rerun_succeeds(initialised_superset: dict[str, str]) -> None:
    # Every `docker compose up` runs superset-init again on the same metadata database.
    second = run_superset_init(initialised_superset)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert len(query_superset(initialised_superset, "select id from ab_user")) == 1
