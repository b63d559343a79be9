"""Run dbt with the warehouse connection and the pseudonymization key in its environment.

Installed as the ``cw-dbt`` executable, which Cosmos and the command line call instead of
``dbt``. The key is passed to PostgreSQL as the session setting ``cw.pseudonym_key``
through ``PGOPTIONS`` in this process only, so it never appears in Airflow's rendered
task fields, in dbt's compiled SQL or in its logs.
"""

from __future__ import annotations

import os
import sys

from customer_warehouse.config import settings
from customer_warehouse.runtime import TELEMETRY_OFF, load_secrets, venv_bin


def dbt_environment() -> dict[str, str]:
    cfg = settings()
    load_secrets(cfg)
    if not os.environ.get("CW_PSEUDONYM_KEY"):
        raise SystemExit(
            "CW_PSEUDONYM_KEY is not set: dbt needs it to build pseudonymous keys. "
            "Run `cw init` to generate one, or set it from your secrets backend."
        )
    env = dict(os.environ)
    env.update(TELEMETRY_OFF)
    env.update(cfg.dbt_env())
    return env


def main() -> None:
    env = dbt_environment()
    args = sys.argv[1:]
    if "--project-dir" not in args:
        os.chdir(settings().dbt_project_dir)
    dbt = venv_bin("dbt")
    os.execve(dbt, [dbt, *args], env)


if __name__ == "__main__":
    main()
