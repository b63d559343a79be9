#!/usr/bin/env bash
# One-shot setup of Superset, run by the superset-init service: migrate the metadata
# database, create the admin user and the default roles, import the dashboards of
# superset/assets. Safe to repeat on every start.
set -euo pipefail

: "${SUPERSET_ADMIN_PASSWORD:?SUPERSET_ADMIN_PASSWORD is not set: set it in .env}"
: "${CW_WAREHOUSE_URL:?CW_WAREHOUSE_URL is not set: the dashboards read the warehouse through it}"
: "${CW_PLUGINS_DIR:?CW_PLUGINS_DIR is not set: the folder holding the customer_warehouse package}"

echo "migrating the Superset metadata database"
superset db upgrade

# create-admin leaves an existing user unchanged (it prints "User already exists" and
# succeeds), so a later change of SUPERSET_ADMIN_PASSWORD needs `superset fab reset-password`.
echo "creating the Superset admin user ${SUPERSET_ADMIN_USERNAME} if missing"
superset fab create-admin \
    --username "${SUPERSET_ADMIN_USERNAME}" \
    --firstname Superset \
    --lastname Admin \
    --email "${SUPERSET_ADMIN_EMAIL}" \
    --password "${SUPERSET_ADMIN_PASSWORD}"

echo "creating the default roles and permissions"
superset init

# The datasets point at the marts, which exist only after the first DAG run, but the
# import does not need them.
echo "importing the dashboards"
CW_SUPERSET_ADMIN="${SUPERSET_ADMIN_USERNAME}" PYTHONPATH="${CW_PLUGINS_DIR}" \
    python -m customer_warehouse.dashboards import
