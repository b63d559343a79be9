#!/usr/bin/env bash
# Create the project's databases. The postgres image runs this once, on the first start
# with an empty data volume. Later starts skip it, so it never touches existing data.
set -euo pipefail

for database in warehouse shop airflow superset; do
    echo "creating database ${database}"
    psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER}" --dbname postgres \
        -c "CREATE DATABASE \"${database}\""
done

# The marts' pseudonymous keys are HMAC digests computed by pgcrypto.
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER}" --dbname warehouse \
    -c "CREATE EXTENSION IF NOT EXISTS pgcrypto"
