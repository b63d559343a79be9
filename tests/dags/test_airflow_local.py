"""`cw airflow up` starts the local Airflow on loopback with private files, and `down` stops it."""

from __future__ import annotations

import socket
import stat
import time
from pathlib import Path

import pytest
import requests

from customer_warehouse.airflow_local import COMPONENTS, down, passwords_file, up
from customer_warehouse.runtime import airflow_env
from tests.support import make_settings

START_TIMEOUT_S = 180


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_ui(port: int, passwords: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if passwords.exists() and requests.get(f"http://127.0.0.1:{port}/api/v2/version", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise AssertionError(f"the Airflow api-server did not answer on 127.0.0.1:{port} in {START_TIMEOUT_S} s")


def _others_may_read(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))


@pytest.mark.slow
def test_up_writes_private_files(tmp_path, pg_database, airflow_environment, monkeypatch):
    cfg = make_settings(tmp_path, warehouse_url=pg_database("airflow_up"))
    airflow_environment(cfg)
    port = _free_port()
    monkeypatch.setenv("CW_AIRFLOW_PORT", str(port))
    run_dir = tmp_path / "airflow" / "run"
    # A log left readable by an earlier start.
    run_dir.mkdir(parents=True)
    (run_dir / "scheduler.log").write_text("earlier start\n")
    (run_dir / "scheduler.log").chmod(0o644)
    try:
        up(cfg)
        _wait_for_ui(port, passwords_file(airflow_env(cfg)))
        private = [passwords_file(airflow_env(cfg)), *(run_dir / f"{name}.log" for name in COMPONENTS)]
        readable = [path.name for path in private if _others_may_read(path)]
        assert readable == []
    finally:
        down(cfg)
    assert list(run_dir.glob("*.pid")) == []
