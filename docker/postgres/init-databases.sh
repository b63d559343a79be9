#!/usr/bin/env bash
# Create the project's databases. The postgres image runs this once, on the first start
# with an empty data volume. Later starts skip it, so it never touches existing data.
# Airflow and Superset get a role each that owns its metadata database and nothing else.
# The warehouse roles are created by the access-init service (`cw access apply`).
set -euo pipefail

: "${AIRFLOW_DB_PASSWORD:?AIRFLOW_DB_PASSWORD is not set: set it in .env}"
: "${SUPERSET_DB_PASSWORD:?SUPERSET_DB_PASSWORD is not set: set it in .env}"

for database in warehouse shop airflow superset; do
    echo "creating database ${database}"
    psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER}" --dbname postgres \
        -c "CREATE DATABASE \"${database}\""
done

# psql 15 reads each password from the environment (\getenv) and quotes it (:'password'),
# so it never appears on a command line.
for owner in airflow superset; do
    echo "creating role ${owner}, owner of database ${owner}"
    psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER}" --dbname postgres -v role="${owner}" <<SQL
\getenv password ${owner^^}_DB_PASSWORD
CREATE ROLE :"role" LOGIN PASSWORD :'password';
ALTER DATABASE :"role" OWNER TO :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"role" TO :"role";
SQL
done

# The marts' pseudonymous keys are HMAC digests computed by pgcrypto.
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER}" --dbname warehouse \
    -c "CREATE EXTENSION IF NOT EXISTS pgcrypto"
