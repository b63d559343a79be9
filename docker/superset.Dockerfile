# Superset image of the customer warehouse: the official Superset 6.1.0 image plus the
# PostgreSQL driver (the image ships without database drivers), the project's superset/
# folder (superset_config.py, the dashboards as YAML) and the customer_warehouse package,
# whose dashboards module imports the dashboards. Built with the repository root as the
# build context.
FROM apache/superset:6.1.0

USER root
# Superset runs from the virtual environment /app/.venv, which the image manages with uv.
# The version matches requirements/superset.lock.
# NOTE: not built on the development machines (no Docker engine). The /app/.venv and uv
# layout is that of the published 5.x images, assumed unchanged in 6.1.0.
RUN . /app/.venv/bin/activate \
    && uv pip install --no-cache psycopg2-binary==2.9.13 \
    && python -c "import psycopg2"

# The same layout as a checkout, because customer_warehouse/config.py finds superset/
# next to plugins/. The package is not installed: superset-init.sh puts it on PYTHONPATH
# for the dashboards import only, so Superset itself never imports it.
COPY --chown=superset:superset superset/superset_config.py /app/cw/superset/superset_config.py
COPY --chown=superset:superset superset/assets/ /app/cw/superset/assets/
COPY --chown=superset:superset superset/scripts/ /app/cw/superset/scripts/
COPY --chown=superset:superset plugins/customer_warehouse/ /app/cw/plugins/customer_warehouse/
COPY --chown=superset:superset docker/superset-init.sh /app/cw/docker/superset-init.sh
ENV CW_PLUGINS_DIR=/app/cw/plugins \
    CW_SUPERSET_VENV=/app/.venv \
    SUPERSET_CONFIG_PATH=/app/cw/superset/superset_config.py
USER superset
