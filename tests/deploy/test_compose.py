"""Checks of docker-compose.yml, .env.example and the Dockerfiles, without a Docker engine.

``docker-compose config`` (Debian's docker-compose 1.29) validates the file against the
compose schema and prints it with every ``${VAR}`` resolved. Each test runs it on a copy
of the compose file in a temporary folder, with a ``.env`` written there and a minimal
process environment, so neither the developer's ``.env`` nor their shell leaks in.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from customer_warehouse.access import PASSWORD_VARIABLES
from customer_warehouse.config import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
AIRFLOW_DOCKERFILE = REPO_ROOT / "docker" / "airflow.Dockerfile"
SUPERSET_DOCKERFILE = REPO_ROOT / "docker" / "superset.Dockerfile"

INSTALL_HINT = (
    "docker-compose is not installed: the deployment tests validate docker-compose.yml with it. "
    "Install Debian's package with `apt-get install -y docker-compose` (version 1.29)."
)

SECRET_WORDS = ("PASSWORD", "SECRET", "KEY", "TOKEN")
AIRFLOW_SERVICES = (
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
)
SERVICES = (
    "postgres",
    "vault-postgres",
    "redis",
    "access-init",
    *AIRFLOW_SERVICES,
    "superset-init",
    "superset",
    "superset-security",
)
ONE_SHOT_SERVICES = ("access-init", "airflow-init", "superset-init", "superset-security")
LONG_RUNNING_SERVICES = tuple(name for name in SERVICES if name not in ONE_SHOT_SERVICES)

# Matches ${NAME}, ${NAME:-default} and ${NAME:?message}, but not `$${...}`, an escaped dollar.
VARIABLE_REFERENCE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
REQUIRED_REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*:\?[^}]+\}$")
URL_PASSWORD = re.compile(r"://[^:/@\s]*:([^@\s]+)@")


def is_secret(name: str) -> bool:
    return any(word in name.upper() for word in SECRET_WORDS)


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


def variable_references(text: str) -> list[tuple[str, str, str]]:
    """Return (name, operator, argument) for every ``${...}`` reference in ``text``."""
    return [
        (name, operator or "", argument or "")
        for name, operator, argument in VARIABLE_REFERENCE.findall(text)
    ]


def required_variables() -> list[str]:
    return sorted(
        {name for name, operator, _ in variable_references(COMPOSE_FILE.read_text()) if operator == ":?"}
    )


def generated_secret(name: str) -> str:
    if name == "AIRFLOW__CORE__FERNET_KEY":
        return base64.urlsafe_b64encode(os.urandom(32)).decode()
    if name == "CW_VAULT_KEYS":
        return "k1:" + base64.urlsafe_b64encode(os.urandom(32)).decode()
    return secrets.token_urlsafe(32)


def generated_env() -> dict[str, str]:
    """Return the settings of .env.example with a fresh random value for every empty one."""
    return {name: value or generated_secret(name) for name, value in read_env_file(ENV_EXAMPLE).items()}


def environment_blocks(node: Any) -> Iterator[dict[str, Any]]:
    """Yield every ``environment`` mapping in a parsed compose file, list syntax included."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "environment" and isinstance(value, dict):
                yield value
            elif key == "environment" and isinstance(value, list):
                yield dict(item.partition("=")[::2] for item in value)
            else:
                yield from environment_blocks(value)
    elif isinstance(node, list):
        for item in node:
            yield from environment_blocks(item)


@pytest.fixture(scope="session")
def docker_compose() -> str:
    path = shutil.which("docker-compose")
    assert path, INSTALL_HINT
    return path


@pytest.fixture
def run_config(docker_compose: str, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Return a function running ``docker-compose config`` on a copy of the file with a given .env."""

    def run(env_values: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        shutil.copy(COMPOSE_FILE, tmp_path / "docker-compose.yml")
        lines = [f"{name}={value}\n" for name, value in env_values.items()]
        (tmp_path / ".env").write_text("".join(lines))
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8"}
        return subprocess.run(
            [docker_compose, "-f", str(tmp_path / "docker-compose.yml"), "config", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    return run


@pytest.fixture(scope="module")
def settings_env() -> dict[str, str]:
    return generated_env()


@pytest.fixture(scope="module")
def resolved(docker_compose: str, settings_env: dict[str, str], tmp_path_factory) -> dict[str, Any]:
    """Return the compose file as ``docker-compose config`` resolves it with generated settings."""
    folder = tmp_path_factory.mktemp("compose")
    shutil.copy(COMPOSE_FILE, folder / "docker-compose.yml")
    (folder / ".env").write_text("".join(f"{name}={value}\n" for name, value in settings_env.items()))
    result = subprocess.run(
        [docker_compose, "-f", str(folder / "docker-compose.yml"), "config"],
        cwd=folder,
        env={"PATH": os.environ["PATH"], "HOME": str(folder), "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"docker-compose config failed: {result.stderr}"
    return yaml.safe_load(result.stdout)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    """Return docker-compose.yml as written, anchors merged, ``${...}`` not interpolated."""
    return yaml.safe_load(COMPOSE_FILE.read_text())


# --- docker-compose config -------------------------------------------------------------


def test_docker_compose_installed() -> None:
    assert shutil.which("docker-compose"), INSTALL_HINT


def test_config_valid_with_generated_env(run_config) -> None:
    result = run_config(generated_env(), "-q")
    assert result.returncode == 0, result.stderr


def test_config_needs_required_variables() -> None:
    # Guards the parametrized test below against an empty parameter list.
    assert "POSTGRES_PASSWORD" in required_variables()


@pytest.mark.parametrize("name", required_variables())
def test_config_missing_secret_named(run_config, name: str) -> None:
    env_values = generated_env()
    del env_values[name]
    result = run_config(env_values, "-q")
    assert result.returncode != 0
    assert f"set {name} in .env" in result.stderr


@pytest.mark.parametrize("name", required_variables())
def test_config_empty_secret_rejected(run_config, name: str) -> None:
    env_values = generated_env()
    env_values[name] = ""
    result = run_config(env_values, "-q")
    assert result.returncode != 0
    assert name in result.stderr


def test_config_env_example_unchanged_rejected(run_config) -> None:
    result = run_config(read_env_file(ENV_EXAMPLE), "-q")
    assert result.returncode != 0
    assert "in .env" in result.stderr


# --- resolved file -----------------------------------------------------------------------


@pytest.mark.parametrize("name", SERVICES)
def test_service_exists(resolved: dict[str, Any], name: str) -> None:
    assert name in resolved["services"]


@pytest.mark.parametrize("name", LONG_RUNNING_SERVICES)
def test_long_running_service_healthcheck(resolved: dict[str, Any], name: str) -> None:
    healthcheck = resolved["services"][name].get("healthcheck", {})
    assert healthcheck.get("test"), f"{name} has no healthcheck test"
    assert not healthcheck.get("disable", False)
    assert healthcheck["test"][0] in ("CMD", "CMD-SHELL")


@pytest.mark.parametrize("name", LONG_RUNNING_SERVICES)
def test_long_running_service_restarts(resolved: dict[str, Any], name: str) -> None:
    assert resolved["services"][name].get("restart") == "unless-stopped"


@pytest.mark.parametrize("name", ONE_SHOT_SERVICES)
def test_one_shot_service_not_restarted(resolved: dict[str, Any], name: str) -> None:
    assert resolved["services"][name].get("restart") == "no"


@pytest.mark.parametrize("name", SERVICES)
def test_service_log_rotation(resolved: dict[str, Any], name: str) -> None:
    log_settings = resolved["services"][name].get("logging", {})
    assert log_settings.get("driver") == "json-file"
    assert log_settings.get("options", {}).get("max-size")
    assert log_settings.get("options", {}).get("max-file")


def published_ports(resolved: dict[str, Any]) -> list[tuple[str, str]]:
    ports = []
    for name, service in resolved["services"].items():
        for port in service.get("ports", []):
            ports.append((name, port if isinstance(port, str) else f"{port.get('host_ip', '')}:{port}"))
    return ports


def test_ports_bind_loopback(resolved: dict[str, Any]) -> None:
    ports = published_ports(resolved)
    assert ports, "no published port found: the UIs must be reachable on 127.0.0.1"
    for name, port in ports:
        assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond 127.0.0.1"


@pytest.mark.parametrize(("name", "container_port"), [("airflow-apiserver", 8080), ("superset", 8088)])
def test_ui_port_published(resolved: dict[str, Any], name: str, container_port: int) -> None:
    ports = [port for service, port in published_ports(resolved) if service == name]
    assert any(port.split(":")[-1].split("/")[0] == str(container_port) for port in ports), ports


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_airflow_executor_celery(resolved: dict[str, Any], name: str) -> None:
    assert resolved["services"][name]["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"


@pytest.mark.parametrize(
    "variable", ["AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY"]
)
def test_airflow_secrets_shared(
    resolved: dict[str, Any], settings_env: dict[str, str], variable: str
) -> None:
    for name in AIRFLOW_SERVICES:
        assert resolved["services"][name]["environment"][variable] == settings_env[variable], name


def test_shop_url_points_at_postgres(resolved: dict[str, Any], settings_env: dict[str, str]) -> None:
    url = make_url(resolved["services"]["airflow-worker"]["environment"]["CW_SHOP_URL"])
    assert (url.host, url.database) == ("postgres", "shop")
    assert url.username == settings_env["POSTGRES_USER"]
    assert url.password == settings_env["POSTGRES_PASSWORD"]


@pytest.mark.parametrize(
    ("variable", "host", "database"),
    [("CW_WAREHOUSE_URL", "postgres", "warehouse"), ("CW_VAULT_URL", "vault-postgres", "vault")],
)
def test_worker_connects_as_pipeline_role(
    resolved: dict[str, Any], settings_env: dict[str, str], variable: str, host: str, database: str
) -> None:
    url = make_url(resolved["services"]["airflow-worker"]["environment"][variable])
    assert (url.host, url.database) == (host, database)
    assert url.username == f"{settings_env['CW_ROLE_PREFIX']}pipeline"
    assert url.password == settings_env["CW_PIPELINE_DB_PASSWORD"]


def service_urls(resolved: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """Yield (service, variable, parsed URL) for every database URL in the resolved file."""
    for name, service in resolved["services"].items():
        for variable, value in (service.get("environment") or {}).items():
            if isinstance(value, str) and re.match(r"^[a-z0-9+]+://", value) and "@" in value:
                yield name, variable, make_url(value.removeprefix("db+"))


# Services that may connect as a server's superuser: the servers themselves and access-init,
# which creates the roles, plus the shop URL, which stands for the platform's own database.
SUPERUSER_ALLOWED = {("access-init", "CW_ADMIN_URL"), ("access-init", "CW_VAULT_ADMIN_URL")}


def test_no_service_connects_as_superuser(resolved: dict[str, Any], settings_env: dict[str, str]) -> None:
    superusers = {settings_env["POSTGRES_USER"], "vault"}
    checked = 0
    for name, variable, url in service_urls(resolved):
        if url.get_backend_name() != "postgresql" or variable == "CW_SHOP_URL":
            continue
        checked += 1
        if (name, variable) not in SUPERUSER_ALLOWED:
            assert url.username not in superusers, f"{name} {variable} connects as superuser {url.username}"
    assert checked >= 10, "fewer PostgreSQL URLs than expected"


@pytest.mark.parametrize(
    ("variable", "role"), [("CW_DASHBOARD_URL", "dashboard"), ("CW_ANALYST_URL", "analyst")]
)
def test_superset_connections_use_least_roles(
    resolved: dict[str, Any], settings_env: dict[str, str], variable: str, role: str
) -> None:
    url = make_url(resolved["services"]["superset-init"]["environment"][variable])
    assert url.username == f"{settings_env['CW_ROLE_PREFIX']}{role}"
    assert url.password is None, "the warehouse password must come from the environment, not the URL"


@pytest.mark.parametrize("variable", ["CW_DASHBOARD_DB_PASSWORD", "CW_ANALYST_DB_PASSWORD"])
def test_superset_reads_warehouse_password(
    resolved: dict[str, Any], settings_env: dict[str, str], variable: str
) -> None:
    assert resolved["services"]["superset"]["environment"][variable] == settings_env[variable]


def test_access_init_has_every_role_password(resolved: dict[str, Any], settings_env: dict[str, str]) -> None:
    environment = resolved["services"]["access-init"]["environment"]
    for variable in PASSWORD_VARIABLES.values():
        assert environment[variable] == settings_env[variable], variable
    assert resolved["services"]["access-init"]["command"] == ["cw", "access", "apply"]


@pytest.mark.parametrize(
    ("database", "host"),
    [
        ("WAREHOUSE", "postgres"),
        ("AIRFLOW", "postgres"),
        ("SUPERSET", "postgres"),
        ("VAULT", "vault-postgres"),
    ],
)
def test_drills_run_as_restorer(
    resolved: dict[str, Any], settings_env: dict[str, str], database: str, host: str
) -> None:
    url = make_url(resolved["services"]["airflow-worker"]["environment"][f"CW_BACKUP_DRILL_URL_{database}"])
    assert (url.username, url.host, url.database) == (
        f"{settings_env['CW_ROLE_PREFIX']}restorer",
        host,
        "postgres",
    )
    assert url.password == settings_env["CW_RESTORER_DB_PASSWORD"]


def test_airflow_init_waits_for_access(resolved: dict[str, Any]) -> None:
    depends_on = resolved["services"]["airflow-init"]["depends_on"]
    assert depends_on["access-init"]["condition"] == "service_completed_successfully"


def test_worker_has_no_admin_url(resolved: dict[str, Any]) -> None:
    environment = resolved["services"]["airflow-worker"]["environment"]
    assert "CW_ADMIN_URL" not in environment
    assert "POSTGRES_PASSWORD" not in str(environment)


def test_cw_pseudonym_key_passed(resolved: dict[str, Any], settings_env: dict[str, str]) -> None:
    environment = resolved["services"]["airflow-worker"]["environment"]
    assert environment["CW_PSEUDONYM_KEY"] == settings_env["CW_PSEUDONYM_KEY"]


@pytest.mark.parametrize("name", [name for name in AIRFLOW_SERVICES if name != "airflow-init"])
def test_airflow_waits_for_init(resolved: dict[str, Any], name: str) -> None:
    depends_on = resolved["services"][name]["depends_on"]
    assert depends_on["airflow-init"]["condition"] == "service_completed_successfully"
    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"


def test_airflow_init_waits_for_postgres(resolved: dict[str, Any]) -> None:
    depends_on = resolved["services"]["airflow-init"]["depends_on"]
    assert depends_on["postgres"]["condition"] == "service_healthy"


def test_worker_waits_for_apiserver(resolved: dict[str, Any]) -> None:
    depends_on = resolved["services"]["airflow-worker"]["depends_on"]
    assert depends_on["airflow-apiserver"]["condition"] == "service_healthy"


def test_superset_waits_for_init(resolved: dict[str, Any]) -> None:
    depends_on = resolved["services"]["superset"]["depends_on"]
    assert depends_on["superset-init"]["condition"] == "service_completed_successfully"
    assert depends_on["postgres"]["condition"] == "service_healthy"


def test_postgres_healthcheck_pg_isready(resolved: dict[str, Any]) -> None:
    assert "pg_isready" in " ".join(resolved["services"]["postgres"]["healthcheck"]["test"])


def test_postgres_data_named_volume(resolved: dict[str, Any]) -> None:
    volumes = resolved["services"]["postgres"]["volumes"]
    assert any(str(volume).startswith("postgres-data:/var/lib/postgresql/data") for volume in volumes), (
        volumes
    )
    assert "postgres-data" in resolved["volumes"]


def test_postgres_init_script_creates_databases() -> None:
    script = (REPO_ROOT / "docker" / "postgres" / "init-databases.sh").read_text()
    match = re.search(r"for database in ([a-z ]+); do", script)
    assert match, "init-databases.sh has no `for database in ...` loop"
    assert set(match.group(1).split()) == {"warehouse", "shop", "airflow", "superset"}


def test_postgres_init_script_creates_owners() -> None:
    script = (REPO_ROOT / "docker" / "postgres" / "init-databases.sh").read_text()
    match = re.search(r"for owner in ([a-z ]+); do", script)
    assert match, "init-databases.sh has no `for owner in ...` loop"
    assert set(match.group(1).split()) == {"airflow", "superset"}
    assert "\\getenv password" in script


# --- raw file and .env.example -----------------------------------------------------------


def test_raw_secret_values_interpolated(raw: dict[str, Any]) -> None:
    checked = 0
    for block in environment_blocks(raw):
        for key, value in block.items():
            if is_secret(key):
                checked += 1
                assert isinstance(value, str), f"{key} is not a string"
                assert REQUIRED_REFERENCE.match(value), f"{key} must be ${{{key}:?...}}, found {value!r}"
    assert checked >= 5, "fewer secret variables than expected: did environment_blocks miss some?"


def url_passwords(value: str) -> list[str]:
    """Return the password part of every URL in ``value``, with ``${...}`` references kept whole."""
    references: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        references.append(match.group(0))
        return f"__reference{len(references) - 1}__"

    masked = VARIABLE_REFERENCE.sub(placeholder, value)
    passwords = URL_PASSWORD.findall(masked)
    return [re.sub(r"__reference(\d+)__", lambda m: references[int(m.group(1))], p) for p in passwords]


def test_raw_url_passwords_interpolated(raw: dict[str, Any]) -> None:
    checked = 0
    for block in environment_blocks(raw):
        for key, value in block.items():
            for password in url_passwords(str(value)):
                checked += 1
                assert REQUIRED_REFERENCE.match(password), (
                    f"{key} embeds a password that is not ${{VAR:?...}}"
                )
    assert checked >= 5, "fewer URLs with credentials than expected"


def test_url_passwords_finds_literal() -> None:
    # The check above must catch a password written into a URL.
    assert url_passwords("postgresql://${POSTGRES_USER:-postgres}:hunter2@postgres/airflow") == ["hunter2"]


def test_raw_secrets_have_no_default() -> None:
    for name, operator, _ in variable_references(COMPOSE_FILE.read_text()):
        if is_secret(name):
            assert operator == ":?", f"${{{name}}} must be required (${{{name}:?...}}) with no default"


def test_env_example_secrets_empty() -> None:
    settings = read_env_file(ENV_EXAMPLE)
    secret_names = [name for name in settings if is_secret(name)]
    assert secret_names, ".env.example lists no secret"
    for name in secret_names:
        assert settings[name] == "", f".env.example sets a value for the secret {name}"


def test_env_example_lists_compose_variables() -> None:
    listed = set(read_env_file(ENV_EXAMPLE))
    for name, _, _ in variable_references(COMPOSE_FILE.read_text()):
        assert name in listed, f"{name} is used by docker-compose.yml but missing from .env.example"


def test_env_example_variables_used() -> None:
    used = {name for name, _, _ in variable_references(COMPOSE_FILE.read_text())}
    for name in read_env_file(ENV_EXAMPLE):
        assert name in used, f".env.example lists {name}, which docker-compose.yml never reads"


def test_env_example_secrets_explained() -> None:
    lines = ENV_EXAMPLE.read_text().splitlines()
    for index, line in enumerate(lines):
        name, _, value = line.partition("=")
        if not line.startswith("#") and value == "" and is_secret(name):
            assert "python3 -c" in lines[index - 1], f"{name} has no generation command on the line above"


# --- Dockerfiles -------------------------------------------------------------------------


def pinned_version(requirements: Path, package: str) -> str:
    match = re.search(
        rf"^{re.escape(package)}==(\S+)$", requirements.read_text(), re.MULTILINE | re.IGNORECASE
    )
    assert match, f"{package} is not pinned with == in {requirements}"
    return match.group(1)


def base_image(dockerfile: Path) -> str:
    match = re.search(r"^FROM (\S+)", dockerfile.read_text(), re.MULTILINE)
    assert match, f"{dockerfile} has no FROM line"
    return match.group(1)


def test_airflow_image_matches_pin() -> None:
    version = pinned_version(REPO_ROOT / "requirements" / "pipeline.in", "apache-airflow")
    assert base_image(AIRFLOW_DOCKERFILE) == f"apache/airflow:{version}-python3.11"


def test_superset_image_matches_pin() -> None:
    version = pinned_version(REPO_ROOT / "requirements" / "superset.in", "apache-superset")
    assert base_image(SUPERSET_DOCKERFILE) == f"apache/superset:{version}"


def test_superset_driver_matches_lock() -> None:
    version = pinned_version(REPO_ROOT / "requirements" / "superset.lock", "psycopg2-binary")
    assert f"psycopg2-binary=={version}" in SUPERSET_DOCKERFILE.read_text()


@pytest.mark.parametrize("dockerfile", [AIRFLOW_DOCKERFILE, SUPERSET_DOCKERFILE], ids=lambda path: path.name)
def test_dockerfile_copy_sources_exist(dockerfile: Path) -> None:
    copies = re.findall(r"^COPY (?:--\S+ )*(.+) \S+$", dockerfile.read_text(), re.MULTILINE)
    assert copies, f"{dockerfile.name} copies nothing"
    for sources in copies:
        for source in sources.split():
            assert (REPO_ROOT / source).exists(), f"{dockerfile.name} copies {source}, which does not exist"


def test_dockerignore_keeps_secrets_out() -> None:
    patterns = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    assert ".env" in patterns
    assert ".venv" in patterns
