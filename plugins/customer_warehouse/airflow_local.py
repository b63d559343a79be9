"""Start and stop a local Airflow (api-server, scheduler, dag-processor, triggerer) on loopback.

``airflow standalone`` binds its log servers to every interface, so ``cw airflow up`` starts
the components one by one instead: the api-server on 127.0.0.1 and the others with
``--skip-serve-logs`` (the api-server reads task logs from the shared local log folder).
Process ids and output go to ``$CW_HOME/airflow/run/``.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from pathlib import Path

from customer_warehouse.config import Settings
from customer_warehouse.runtime import airflow_env, venv_bin

log = logging.getLogger(__name__)

COMPONENTS: dict[str, list[str]] = {
    "api-server": ["api-server", "--host", "127.0.0.1"],
    "scheduler": ["scheduler", "--skip-serve-logs"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer", "--skip-serve-logs"],
}
STOP_TIMEOUT_S = 30
# Files the components create (logs, the generated admin password) are for this user only:
# the api-server's log prints the admin password in plain text.
PRIVATE_UMASK = 0o077


def port() -> str:
    return os.environ.get("CW_AIRFLOW_PORT", "8080")


def _arguments(name: str) -> list[str]:
    args = COMPONENTS[name]
    return [*args, "--port", port()] if name == "api-server" else args


def _make_private(paths: list[Path]) -> None:
    """Narrow files an earlier start left readable by others (created before PRIVATE_UMASK)."""
    for path in paths:
        if path.exists() and path.stat().st_mode & 0o077:
            path.chmod(0o600)


def _run_dir(cfg: Settings) -> Path:
    path = cfg.home / "airflow" / "run"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _alive(pid: int) -> bool:
    try:
        # A component started by this same process stays a zombie after it exits until
        # it is reaped here; os.kill would still find it.
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass  # not a child of this process: its own parent reaps it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _pid(pid_file: Path) -> int | None:
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().strip())
    return pid if _alive(pid) else None


def passwords_file(env: dict[str, str]) -> Path:
    return Path(env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"


def up(cfg: Settings) -> None:
    env = airflow_env(cfg)
    run_dir = _run_dir(cfg)
    _make_private([passwords_file(env), *(run_dir / f"{name}.log" for name in COMPONENTS)])
    for name in COMPONENTS:
        pid_file = run_dir / f"{name}.pid"
        if _pid(pid_file):
            log.info("airflow %s is already running (pid %s)", name, pid_file.read_text().strip())
            continue
        log_file = run_dir / f"{name}.log"
        with os.fdopen(os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as out:
            proc = subprocess.Popen(
                [venv_bin("airflow"), *_arguments(name)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                umask=PRIVATE_UMASK,
            )
        pid_file.write_text(str(proc.pid))
        log.info("started airflow %s (pid %d, log %s)", name, proc.pid, log_file)
    log.info("Airflow UI: http://127.0.0.1:%s (users and passwords: %s)", port(), passwords_file(env))


def down(cfg: Settings) -> None:
    """Stop every component: SIGTERM to all at once, then SIGKILL to those still running after the timeout.

    The components shut down in parallel (the scheduler waits for its task processes), so
    stopping all of them takes at most STOP_TIMEOUT_S, not that much per component.
    """
    run_dir = _run_dir(cfg)
    running = {}
    for name in COMPONENTS:
        pid = _pid(run_dir / f"{name}.pid")
        if pid:
            os.killpg(pid, signal.SIGTERM)
            running[name] = pid
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while any(_alive(pid) for pid in running.values()) and time.monotonic() < deadline:
        time.sleep(0.5)
    for name, pid in running.items():
        if _alive(pid):
            log.warning("airflow %s (pid %d) did not stop in %d s: killing it", name, pid, STOP_TIMEOUT_S)
            os.killpg(pid, signal.SIGKILL)
        log.info("stopped airflow %s (pid %d)", name, pid)
    for name in COMPONENTS:
        (run_dir / f"{name}.pid").unlink(missing_ok=True)


def airflow_command(cfg: Settings, argv: list[str]) -> int:
    """Run ``up``, ``down`` or any other Airflow command in the project's Airflow home."""
    if argv == ["up"]:
        up(cfg)
        return 0
    if argv == ["down"]:
        down(cfg)
        return 0
    return subprocess.call([venv_bin("airflow"), *argv], env=airflow_env(cfg))
