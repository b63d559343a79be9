#!/usr/bin/env bash
# One-shot setup of the Airflow metadata database, run by the airflow-init service.
# Safe to repeat, because the migration and the connection writes are both idempotent.
set -euo pipefail

echo "migrating the Airflow metadata database"
airflow db migrate

echo "writing the Airflow connections from CW_WAREHOUSE_URL, CW_SHOP_URL and CW_VAULT_URL"
python "$(dirname "${BASH_SOURCE[0]}")/airflow_connections.py"

# State folders on the cw-home volume, shared by every Airflow service.
mkdir -p "${CW_HOME}/landing/events" "${CW_HOME}/landing/olist" "${CW_HOME}/truth" \
    "${CW_HOME}/data_docs" "${CW_HOME}/cosmos"
echo "Airflow is initialised; state folder ${CW_HOME}"
