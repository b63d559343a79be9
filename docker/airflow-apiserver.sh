#!/usr/bin/env bash
# Start the Airflow API server with the admin password taken from the environment.
#
# The simple auth manager reads passwords from a JSON file and would otherwise generate a
# random one on first start. The file is rewritten on every start, so a new
# AIRFLOW_ADMIN_PASSWORD in .env takes effect after `docker compose up -d`.
set -euo pipefail

: "${AIRFLOW_ADMIN_USERNAME:?AIRFLOW_ADMIN_USERNAME is not set}"
: "${AIRFLOW_ADMIN_PASSWORD:?AIRFLOW_ADMIN_PASSWORD is not set: set it in .env}"
: "${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:?the passwords file path is not set}"

python - <<'PY'
import json
import os

path = os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
if os.path.exists(path):
    os.remove(path)
# Created readable by this user only, because the file contains the password in plain text.
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
with os.fdopen(fd, "w") as handle:
    json.dump({os.environ["AIRFLOW_ADMIN_USERNAME"]: os.environ["AIRFLOW_ADMIN_PASSWORD"]}, handle)
PY

# The API server has no use for the password once the file is written.
unset AIRFLOW_ADMIN_PASSWORD
exec airflow api-server
