# Airflow image of the customer warehouse: the official Airflow 3.3.2 image plus the
# pinned pipeline requirements (dbt, Great Expectations, Cosmos) and this project.
# Built by docker-compose.yml with the repository root as the build context.
FROM apache/airflow:3.3.2-python3.11

# The project lives in one folder, as in a checkout: customer_warehouse/config.py finds
# dbt_project/, expectations/ and config/ next to the package's source folder, and the DAG finds
# dbt_project/ next to dags/.
USER root
RUN mkdir -p /opt/customer_warehouse /opt/airflow/cw_home \
    && chown airflow:0 /opt/customer_warehouse /opt/airflow/cw_home
USER airflow
WORKDIR /opt/customer_warehouse

# docker/airflow-apiserver.sh writes the UI password here on every start of the API server.
ENV AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=/opt/airflow/simple_auth_manager_passwords.json

# Requirements first, so a change to the project's code reuses this layer.
# apache-airflow==3.3.2 is pinned in pipeline.in, so pip keeps the image's Airflow.
# NOTE: not built on the development machines, which have no Docker engine. pipeline.lock
# may move a shared dependency to a version that an unused provider of the image rejects.
COPY --chown=airflow:0 requirements/pipeline.in requirements/pipeline.lock requirements/
RUN pip install --no-cache-dir -r requirements/pipeline.in -c requirements/pipeline.lock

# Editable install, unlike a plain `pip install .`: an install into site-packages would
# move config.py away from dbt_project/ and expectations/, and the settings would point
# at folders that do not exist.
COPY --chown=airflow:0 pyproject.toml ./
COPY --chown=airflow:0 plugins/ plugins/
RUN pip install --no-cache-dir --no-deps -e .

COPY --chown=airflow:0 dags/ dags/
COPY --chown=airflow:0 dbt_project/ dbt_project/
COPY --chown=airflow:0 expectations/ expectations/
COPY --chown=airflow:0 config/ config/
COPY --chown=airflow:0 docker/airflow-init.sh docker/airflow-apiserver.sh docker/airflow_connections.py docker/

# The DAG renders its dbt task group from target/manifest.json. Parsing opens no database
# connection, and profiles.yml has defaults for every setting, so no secret is needed here.
RUN cd dbt_project && dbt parse --quiet --profiles-dir .

# Fail the build, rather than the first DAG run, when a tool the tasks start is missing:
# the DAG and `cw` look for cw-dbt, dbt and airflow beside the Python interpreter.
RUN python -c "import airflow.providers.celery, cosmos, great_expectations, customer_warehouse.config" \
    && for tool in cw cw-dbt dbt airflow; do \
           test -x "$(dirname "$(python -c 'import sys; print(sys.executable)')")/${tool}" \
               || { echo "${tool} is not installed beside the Python interpreter" >&2; exit 1; }; \
       done
