"""Run Superset locally and keep its dashboards as code.

Superset lives in its own environment (``.venv/superset``, SQLAlchemy 1.4) and cannot be
imported here, so this module drives it through its command line and its REST API:

- ``init_superset``: upgrade the metadata database, run ``superset init``, create or reset
  the admin user.
- ``start_superset`` / ``stop_superset``: a gunicorn server bound to 127.0.0.1 with its pid
  file under ``$CW_HOME/superset``.
- ``import_dashboards``: bundle ``superset/assets/`` into a ZIP, with the warehouse URLs of the
  dashboard and analyst roles filled in (without passwords), and import it.
- ``refresh_dashboards``: after a pipeline run, drop the cached results of every dataset the
  dashboards read and warm every chart again.

| variable                 | default                                                   |
|--------------------------|-----------------------------------------------------------|
| CW_SUPERSET_HOME         | ``$CW_HOME/superset`` (``SUPERSET_HOME``: pid, log, uploads) |
| CW_SUPERSET_PORT         | ``8088``                                                  |
| CW_SUPERSET_VENV         | ``<repo>/.venv/superset``                                 |
| CW_SUPERSET_ADMIN        | ``admin``                                                 |
| CW_SUPERSET_URL          | ``http://127.0.0.1:$CW_SUPERSET_PORT``, the REST APIs address |
| SUPERSET_DATABASE_URI    | ``postgresql+psycopg2://postgres@127.0.0.1:5432/superset`` |
| SUPERSET_SECRET_KEY      | none: required                                            |
| SUPERSET_ADMIN_PASSWORD  | none: required by ``init`` and ``refresh``                |

Command line: ``python -m customer_warehouse.dashboards init|up|down|import|refresh|security|users``.
``security`` and ``users`` set up roles, row-level security and users on a running Superset
(``customer_warehouse.superset_access``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import requests
import yaml
from sqlalchemy.engine import make_url

from customer_warehouse.config import REPO_ROOT, Settings
from customer_warehouse.db import ensure_database

log = logging.getLogger(__name__)

DEFAULT_METADATA_URI = "postgresql+psycopg2://postgres@127.0.0.1:5432/superset"
SUPERSET_DIR = REPO_ROOT / "superset"
BUNDLE_ROOT = "customer_warehouse_dashboards"
TELEMETRY_ENV = {
    "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
    "SCARF_ANALYTICS": "false",
    "DO_NOT_TRACK": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "GX_ANALYTICS_ENABLED": "False",
}


class SupersetError(RuntimeError):
    """A Superset command or API call failed. The message names the step and what to do next."""


@dataclass(frozen=True)
class SupersetConfig:
    """Settings of one local Superset: home folder, port, environments and timeouts."""

    # SUPERSET_HOME: pid file, server log and Superset's own data folder.
    home: Path
    # Port on 127.0.0.1. start_superset binds no other address.
    port: int = 8088
    # Virtual environment holding apache-superset and gunicorn.
    venv: Path = REPO_ROOT / ".venv" / "superset"
    # Metadata database (users, charts, dashboards), created by init when missing.
    metadata_uri: str = DEFAULT_METADATA_URI
    admin_user: str = "admin"
    # Variables added to every Superset process, over os.environ. Holds secrets, so no repr.
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    assets_dir: Path = SUPERSET_DIR / "assets"
    config_path: Path = SUPERSET_DIR / "superset_config.py"
    workers: int = 2
    # Seconds start_superset waits for /health before it gives up.
    start_timeout: float = 180.0

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> SupersetConfig:
        settings = settings or Settings.from_env()
        home = os.environ.get("CW_SUPERSET_HOME")
        venv = os.environ.get("CW_SUPERSET_VENV")
        return cls(
            home=Path(home).expanduser().resolve() if home else settings.home / "superset",
            port=int(os.environ.get("CW_SUPERSET_PORT", "8088")),
            venv=Path(venv).expanduser().resolve() if venv else REPO_ROOT / ".venv" / "superset",
            metadata_uri=os.environ.get("SUPERSET_DATABASE_URI", DEFAULT_METADATA_URI),
            admin_user=os.environ.get("CW_SUPERSET_ADMIN", "admin"),
            base_url=os.environ.get("CW_SUPERSET_URL") or None,
        )

    # Base URL of the server, when it is not this machine's 127.0.0.1:port (a container).
    base_url: str | None = None

    @property
    def url(self) -> str:
        return self.base_url or f"http://127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.home / "superset.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "superset.log"

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name

    def get(self, name: str) -> str | None:
        """Return a variable from ``env``, else from the process environment."""
        return self.env.get(name) or os.environ.get(name)

    def process_env(self) -> dict[str, str]:
        """Build the environment of a Superset subprocess, raising SupersetError without a secret key."""
        env = {**os.environ, **TELEMETRY_ENV, **self.env}
        if not env.get("SUPERSET_SECRET_KEY"):
            raise SupersetError(
                "SUPERSET_SECRET_KEY is not set: Superset needs it to sign sessions and encrypt "
                "stored passwords. Set it to a long random string (openssl rand -base64 42) and "
                "keep it the same across restarts."
            )
        env.update(
            SUPERSET_CONFIG_PATH=str(self.config_path),
            SUPERSET_HOME=str(self.home),
            SUPERSET_DATABASE_URI=self.metadata_uri,
            FLASK_APP="superset.app:create_app()",
            # Replaces the PYTHONPATH of the pipeline side (Airflow adds its own folders).
            PYTHONPATH=str(SUPERSET_DIR),
        )
        # The pipeline environment's variables would point Superset at the wrong packages.
        env.pop("VIRTUAL_ENV", None)
        env.pop("PYTHONHOME", None)
        return env


@dataclass(frozen=True)
class SupersetProcess:
    """A running Superset web server."""

    pid: int
    url: str
    log_file: Path


@dataclass(frozen=True)
class DashboardRefresh:
    """Result of refresh_dashboards for one dashboard."""

    dashboard_id: int
    title: str
    charts_warmed: int
    chart_errors: dict[str, str]
    datasets_invalidated: int


def run_superset(cfg: SupersetConfig, *args: str, timeout: float = 600.0) -> subprocess.CompletedProcess:
    """Run ``superset ARGS`` in the Superset environment, raising SupersetError when it fails."""
    return _run(cfg, [str(cfg.bin("superset")), *args], timeout)


def _run(
    cfg: SupersetConfig, argv: list[str], timeout: float, extra_env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess:
    cfg.home.mkdir(parents=True, exist_ok=True)
    env = cfg.process_env()
    env.update(extra_env or {})
    step = " ".join(Path(argv[0]).name if i == 0 else a for i, a in enumerate(argv))
    started = time.monotonic()
    result = subprocess.run(argv, env=env, cwd=cfg.home, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        raise SupersetError(f"`{step}` failed with exit code {result.returncode}:\n{tail}")
    log.info("ran `%s` (%.1f s)", step, time.monotonic() - started)
    return result


def init_superset(cfg: SupersetConfig) -> None:
    """Create and upgrade the metadata database, set up roles, create or reset the admin user."""
    password = cfg.get("SUPERSET_ADMIN_PASSWORD")
    if not password:
        raise SupersetError(
            "SUPERSET_ADMIN_PASSWORD is not set: init needs it to create the Superset admin user "
            f"{cfg.admin_user!r}. Set it and run init again."
        )
    if ensure_database(cfg.metadata_uri):
        log.info("created Superset metadata database %s", make_url(cfg.metadata_uri).database)
    run_superset(cfg, "db", "upgrade")
    run_superset(cfg, "init")
    script = SUPERSET_DIR / "scripts" / "ensure_admin.py"
    result = _run(
        cfg,
        [str(cfg.bin("python")), str(script)],
        timeout=300,
        extra_env={"CW_SUPERSET_ADMIN": cfg.admin_user, "SUPERSET_ADMIN_PASSWORD": password},
    )
    log.info("Superset admin user %s: %s", cfg.admin_user, result.stdout.strip().splitlines()[-1])


def is_healthy(cfg: SupersetConfig, timeout: float = 3.0) -> bool:
    try:
        response = requests.get(f"{cfg.url}/health", timeout=timeout)
    except requests.RequestException:
        return False
    return response.status_code == 200 and response.text.strip() == "OK"


def _read_pid(cfg: SupersetConfig) -> int | None:
    """Return the pid in the pid file when that process is alive and is a Superset gunicorn."""
    try:
        pid = int(cfg.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except FileNotFoundError:
        return None
    # A stale pid file may name a pid the system has since given to another program.
    if b"gunicorn" not in command_line or b"superset" not in command_line:
        log.warning(
            "pid file %s names pid %s, which is not a Superset server: ignoring it", cfg.pid_file, pid
        )
        return None
    return pid


def _gunicorn_argv(cfg: SupersetConfig) -> list[str]:
    return [
        str(cfg.bin("gunicorn")),
        "--bind", f"127.0.0.1:{cfg.port}",
        "--workers", str(cfg.workers),
        "--worker-class", "gthread",
        "--threads", "4",
        "--timeout", "120",
        # Dashboard URLs can carry long form data.
        "--limit-request-line", "0",
        "--limit-request-field_size", "0",
        "superset.app:create_app()",
    ]  # fmt: skip


def start_superset(cfg: SupersetConfig, port: int | None = None) -> SupersetProcess:
    """Start gunicorn on 127.0.0.1, wait until /health responds and return the running server."""
    if port is not None and port != cfg.port:
        cfg = replace(cfg, port=port)

    pid = _read_pid(cfg)
    if pid and is_healthy(cfg):
        log.info("Superset already runs at %s (pid %s)", cfg.url, pid)
        return SupersetProcess(pid, cfg.url, cfg.log_file)
    if is_healthy(cfg):
        raise SupersetError(
            f"another server already responds at {cfg.url} without a pid file at {cfg.pid_file}: "
            "stop it or choose another port (CW_SUPERSET_PORT)."
        )

    cfg.home.mkdir(parents=True, exist_ok=True)
    env = cfg.process_env()
    with cfg.log_file.open("ab") as log_stream:
        # A new session makes the gunicorn master a process group leader, so stopping its
        # group stops its workers too.
        process = subprocess.Popen(
            _gunicorn_argv(cfg),
            env=env,
            cwd=cfg.home,
            stdout=log_stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    log.info("starting Superset at %s (pid %s, log %s)", cfg.url, process.pid, cfg.log_file)
    _wait_healthy(cfg, process)
    cfg.pid_file.write_text(f"{process.pid}\n")
    return SupersetProcess(process.pid, cfg.url, cfg.log_file)


def _wait_healthy(cfg: SupersetConfig, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + cfg.start_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SupersetError(
                f"Superset exited with code {process.returncode} while starting: see {cfg.log_file}"
            )
        if is_healthy(cfg):
            log.info("Superset responds at %s", cfg.url)
            return
        time.sleep(1.0)
    _terminate(process.pid)
    raise SupersetError(
        f"Superset did not respond at {cfg.url}/health within {cfg.start_timeout:.0f} s: see {cfg.log_file}"
    )


def _terminate(pid: int, grace: float = 20.0) -> None:
    """Stop the gunicorn master and its workers: SIGTERM to its session, then SIGKILL."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        _reap(pid)
        time.sleep(0.3)
    log.warning("Superset (pid %s) did not stop within %.0f s, killing it", pid, grace)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return


def _reap(pid: int) -> None:
    # A server started by this process stays a zombie until waited for.
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def stop_superset(cfg: SupersetConfig) -> bool:
    """Stop the server named in the pid file. Return False when none was running."""
    pid = _read_pid(cfg)
    if pid is None:
        log.info("Superset is not running (no live pid in %s)", cfg.pid_file)
        cfg.pid_file.unlink(missing_ok=True)
        return False
    _terminate(pid)
    cfg.pid_file.unlink(missing_ok=True)
    log.info("stopped Superset (pid %s)", pid)
    return True


SQL_LAB_DATABASE_FILE = "databases/customer_warehouse_sql_lab.yaml"


def build_bundle(
    assets_dir: Path,
    warehouse_url: str,
    target_dir: Path,
    bundle_type: str = "Dashboard",
    sql_lab_url: str | None = None,
) -> Path:
    """Write the import ZIP into ``target_dir``: the assets under one top folder, URLs filled in.

    ``warehouse_url`` is the dashboards' connection (the dashboard role) and
    ``sql_lab_url`` SQL Lab's (the analyst role); without it the SQL Lab connection is left
    out. Passwords are dropped from both: Superset reads them from the environment on each
    connection (``superset_config.py``). ``bundle_type`` is the ``metadata.yaml`` type the
    importer checks: ``Dashboard`` for ``superset import-dashboards``, ``assets`` for the
    assets importer.
    """
    bundle = target_dir / f"{BUNDLE_ROOT}_{bundle_type.lower()}.zip"
    files = sorted(p for p in assets_dir.rglob("*.yaml") if p.is_file())
    if not (assets_dir / "metadata.yaml").is_file():
        raise SupersetError(f"{assets_dir}/metadata.yaml not found: the bundle needs it")
    written = 0
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            relative = path.relative_to(assets_dir).as_posix()
            content = yaml.safe_load(path.read_text())
            if relative == "metadata.yaml":
                content["type"] = bundle_type
            elif relative == SQL_LAB_DATABASE_FILE:
                if not sql_lab_url:
                    continue
                content["sqlalchemy_uri"] = _without_password(sql_lab_url)
            elif relative.startswith("databases/"):
                content["sqlalchemy_uri"] = _without_password(warehouse_url)
            elif relative.startswith("charts/"):
                content["query_context"] = chart_query_context(content)
            archive.writestr(f"{BUNDLE_ROOT}/{relative}", yaml.safe_dump(content, sort_keys=False))
            written += 1
    log.info("bundled %d asset files from %s", written, assets_dir)
    return bundle


def _without_password(url: str) -> str:
    # URL.set(password=None) keeps the password in SQLAlchemy 2.1, so replace the field.
    return make_url(url)._replace(password=None).render_as_string(hide_password=False)


def chart_query_context(chart: Mapping) -> str:
    """Build the saved query context Superset's chart warm-up runs for ``chart``.

    Superset's front end builds its own query from the chart params when a dashboard
    renders. This one requests the same columns and metrics, so warming a chart runs its
    query and reports its errors.
    """
    params = chart["params"]
    columns: list = []
    x_axis = params.get("x_axis")
    if x_axis:
        axis: dict | str = x_axis
        if params.get("time_grain_sqla"):
            axis = {
                "columnType": "BASE_AXIS",
                "sqlExpression": x_axis,
                "label": x_axis,
                "expressionType": "SQL",
                "timeGrain": params["time_grain_sqla"],
            }
        columns.append(axis)
    for key in ("groupby", "groupbyRows", "groupbyColumns", "all_columns"):
        value = params.get(key) or []
        columns.extend([value] if isinstance(value, str) else value)
    metrics = list(params.get("metrics") or []) or ([params["metric"]] if params.get("metric") else [])
    query = {
        "columns": columns,
        "metrics": metrics,
        "filters": [
            {"col": f["subject"], "op": f["operator"], "val": f["comparator"]}
            for f in params.get("adhoc_filters", [])
            if f.get("expressionType") == "SIMPLE"
        ],
        "extras": {"having": "", "where": ""},
        "row_limit": params.get("row_limit", 10000),
        "orderby": [[metrics[0], False]] if metrics else [],
        "annotation_layers": [],
        "series_limit": 0,
        "order_desc": True,
    }
    context = {
        "datasource": {"id": 0, "type": "table"},
        "force": False,
        "queries": [query],
        "form_data": dict(params),
        "result_format": "json",
        "result_type": "full",
    }
    return json.dumps(context, separators=(",", ":"))


def dashboard_titles(assets_dir: Path = SUPERSET_DIR / "assets") -> list[str]:
    """Return the title of every dashboard in ``assets_dir``, in file name order."""
    paths = sorted((assets_dir / "dashboards").glob("*.yaml"))
    return [yaml.safe_load(path.read_text())["dashboard_title"] for path in paths]


def import_dashboards(cfg: SupersetConfig, warehouse_url: str, sql_lab_url: str | None = None) -> None:
    """Bundle the assets with the warehouse URLs and import them. Safe to repeat.

    ``superset import-dashboards`` creates what is missing and replaces each dashboard's
    layout, but in Superset 6.1 it keeps existing databases, datasets and charts. The
    second step imports the same files with the assets importer, which replaces those
    too, so edited YAML and a changed warehouse URL take effect on a re-import.
    """
    with tempfile.TemporaryDirectory(prefix="cw_superset_bundle_") as tmp:
        dashboards_bundle = build_bundle(cfg.assets_dir, warehouse_url, Path(tmp), "Dashboard", sql_lab_url)
        run_superset(cfg, "import-dashboards", "-p", str(dashboards_bundle), "-u", cfg.admin_user)
        assets_bundle = build_bundle(cfg.assets_dir, warehouse_url, Path(tmp), "assets", sql_lab_url)
        script = SUPERSET_DIR / "scripts" / "import_assets.py"
        _run(cfg, [str(cfg.bin("python")), str(script), str(assets_bundle), cfg.admin_user], timeout=600)
    log.info(
        "imported dashboards from %s into Superset at %s (warehouse %s)",
        cfg.assets_dir,
        cfg.url,
        make_url(warehouse_url).render_as_string(hide_password=True),
    )


class SupersetClient:
    """A logged-in session against Superset's REST API."""

    def __init__(
        self,
        cfg: SupersetConfig,
        timeout: float = 120.0,
        username: str | None = None,
        password: str | None = None,
    ):
        """Log in as ``username`` (default the admin user, with SUPERSET_ADMIN_PASSWORD)."""
        self.base = f"{cfg.url}/api/v1"
        self.timeout = timeout
        self.session = requests.Session()
        username = username or cfg.admin_user
        password = password or cfg.get("SUPERSET_ADMIN_PASSWORD")
        if not password:
            raise SupersetError("SUPERSET_ADMIN_PASSWORD is not set: the API login needs it")
        response = self.session.post(
            f"{self.base}/security/login",
            json={"username": username, "password": password, "provider": "db", "refresh": False},
            timeout=timeout,
        )
        if response.status_code != 200:
            raise SupersetError(
                f"login to {cfg.url} as {username!r} failed with HTTP {response.status_code}: "
                "check the user's password or run init again"
            )
        self.session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        csrf = self.call("GET", "/security/csrf_token/")["result"]
        self.session.headers.update({"X-CSRFToken": csrf, "Referer": cfg.url})

    def call(self, method: str, path: str, **kwargs) -> dict:
        response = self.session.request(method, f"{self.base}{path}", timeout=self.timeout, **kwargs)
        if response.status_code >= 400:
            raise SupersetError(
                f"{method} {path} failed with HTTP {response.status_code}: {response.text[:300]}"
            )
        return response.json()


def refresh_dashboards(cfg: SupersetConfig) -> list[DashboardRefresh]:
    """Drop cached results of every dashboard's datasets, then warm each chart again.

    Returns one entry per dashboard. When Superset does not respond at its URL, logs that
    and returns an empty list, because a pipeline run must not fail while the dashboards are down.
    """
    if not is_healthy(cfg):
        log.info("Superset does not respond at %s: no dashboard caches to refresh", cfg.url)
        return []
    client = SupersetClient(cfg)
    dashboards = client.call("GET", "/dashboard/", params={"q": "(page_size:100)"})["result"]
    refreshed = [_refresh_dashboard(client, item["id"], item["dashboard_title"]) for item in dashboards]
    return refreshed


def _refresh_dashboard(client: SupersetClient, dashboard_id: int, title: str) -> DashboardRefresh:
    datasets = client.call("GET", f"/dashboard/{dashboard_id}/datasets")["result"]
    uids = [item["uid"] for item in datasets]
    if uids:
        client.call("POST", "/cachekey/invalidate", json={"datasource_uids": uids})
    charts = client.call("GET", f"/dashboard/{dashboard_id}/charts")["result"]
    errors: dict[str, str] = {}
    for chart in charts:
        payload = {"chart_id": chart["id"], "dashboard_id": dashboard_id}
        result = client.call("PUT", "/chart/warm_up_cache", json=payload)["result"]
        for item in result:
            if item.get("viz_error"):
                errors[chart["slice_name"]] = str(item["viz_error"])
    for name, error in errors.items():
        log.warning("warming chart %r of dashboard %r failed: %s", name, title, error)
    log.info(
        "refreshed dashboard %r (id %s): %d datasets invalidated, %d of %d charts warmed",
        title,
        dashboard_id,
        len(uids),
        len(charts) - len(errors),
        len(charts),
    )
    return DashboardRefresh(dashboard_id, title, len(charts) - len(errors), errors, len(uids))


def _apply_access(cfg: SupersetConfig, command: str) -> None:
    from customer_warehouse import superset_access

    if command == "security":
        superset_access.apply_superset_security(cfg, superset_access.regions_from_env())
        return
    users = superset_access.users_from_env()
    if not users:
        log.warning(
            "CW_SUPERSET_USERS is empty: no user to create or update. Set it to "
            "'username:Role+Role;...' and each user's password variable, then run it again"
        )
    superset_access.ensure_users(cfg, users)
    for username, roles in users.items():
        print(f"{username}: {', '.join(roles)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cw superset", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["init", "up", "down", "import", "refresh", "security", "users"])
    parser.add_argument("--port", type=int, help="port on 127.0.0.1 (default CW_SUPERSET_PORT or 8088)")
    parser.add_argument(
        "--warehouse-url", help="the dashboards' warehouse URL for import (default CW_DASHBOARD_URL)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    cfg = SupersetConfig.from_settings(settings)
    if args.port:
        cfg = replace(cfg, port=args.port)
    if args.command in ("refresh", "security", "users") and not is_healthy(cfg):
        log.error(
            "Superset does not answer at %s: `cw superset %s` talks to a running Superset; "
            "start it with `make superset-up` (or `cw superset up`) and run the command again",
            cfg.url,
            args.command,
        )
        return 1
    try:
        if args.command == "init":
            init_superset(cfg)
        elif args.command == "up":
            process = start_superset(cfg)
            print(f"Superset runs at {process.url} (pid {process.pid}, log {process.log_file})")
        elif args.command == "down":
            stop_superset(cfg)
        elif args.command == "import":
            import_dashboards(
                cfg, args.warehouse_url or settings.role_url("dashboard"), settings.role_url("analyst")
            )
        elif args.command in ("security", "users"):
            _apply_access(cfg, args.command)
        else:
            for item in refresh_dashboards(cfg):
                print(f"{item.title}: {item.charts_warmed} charts warmed, {len(item.chart_errors)} failed")
    except SupersetError as error:
        log.error("%s", error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
