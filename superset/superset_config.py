"""Superset settings for the customer warehouse, loaded through ``SUPERSET_CONFIG_PATH``.

Superset runs in its own environment (``.venv/superset``, SQLAlchemy 1.4), so this file
imports nothing from the ``customer_warehouse`` package. Every setting comes from an
environment variable:

| variable                  | default                                                   |
|---------------------------|-----------------------------------------------------------|
| SUPERSET_SECRET_KEY       | none: required, signs sessions and encrypts stored passwords |
| SUPERSET_DATABASE_URI     | ``postgresql+psycopg2://postgres@127.0.0.1:5432/superset`` |
| SUPERSET_CACHE_REDIS_URL  | ``redis://127.0.0.1:6379/2``; ``simple`` keeps the cache in each process |
| SUPERSET_HOME             | ``~/.superset`` (Superset's own default), set under ``CW_HOME`` by ``cw`` |
| CW_ROLE_PREFIX            | ``cw_``: prefix of the warehouse's database roles          |
| CW_DASHBOARD_DB_PASSWORD  | none: password of ``<prefix>dashboard``, the dashboards' connection |
| CW_ANALYST_DB_PASSWORD    | none: password of ``<prefix>analyst``, SQL Lab's connection |

The web server binds 127.0.0.1: the bind address is set by the start command
(``customer_warehouse.dashboards.start_superset``), not here.
"""

from __future__ import annotations

import hashlib
import os

SECRET_KEY = os.environ.get("SUPERSET_SECRET_KEY", "")
if not SECRET_KEY:
    raise RuntimeError(
        "SUPERSET_SECRET_KEY is not set: Superset needs it to sign sessions and to encrypt the "
        "database passwords it stores. Set it to a long random string, for example the output of "
        "`openssl rand -base64 42`, and keep the same value across restarts."
    )

SQLALCHEMY_DATABASE_URI = os.environ.get(
    "SUPERSET_DATABASE_URI", "postgresql+psycopg2://postgres@127.0.0.1:5432/superset"
)

# The warehouse passwords are read from the environment on every connection, so neither
# Superset's metadata database nor an export of the dashboards ever contains them.
_ROLE_PREFIX = os.environ.get("CW_ROLE_PREFIX", "cw_")
_PASSWORD_VARIABLES = {
    f"{_ROLE_PREFIX}dashboard": "CW_DASHBOARD_DB_PASSWORD",
    f"{_ROLE_PREFIX}analyst": "CW_ANALYST_DB_PASSWORD",
}


def _warehouse_password(url) -> str | None:
    variable = _PASSWORD_VARIABLES.get(url.username or "")
    return os.environ.get(variable) if variable else None


SQLALCHEMY_CUSTOM_PASSWORD_STORE = _warehouse_password

# Dashboards render every chart, not only those scrolled into view, so a dashboard
# screenshot or a headless check includes all of them.
FEATURE_FLAGS = {
    "DASHBOARD_VIRTUALIZATION": False,
    "DASHBOARD_CROSS_FILTERS": True,
    "DRILL_TO_DETAIL": True,
    "DRILL_BY": True,
    "ALERT_REPORTS": False,
    "THUMBNAILS": False,
    "GLOBAL_ASYNC_QUERIES": False,
    "ENABLE_TEMPLATE_PROCESSING": False,
}

# No outside requests: no statsd, no map tiles, no web fonts, no telemetry pixel. The
# front end of Superset 6.1 always renders the telemetry <img>, so the content security
# policy below leaves its host out of img-src and browsers drop the request.
SCARF_ANALYTICS = False
MAPBOX_API_KEY = ""
THEME_FONT_URL_ALLOWED_DOMAINS: list[str] = []
TALISMAN_ENABLED = True
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": ["'self'"],
        "default-src": ["'self'"],
        "img-src": ["'self'", "blob:", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": "'none'",
        "style-src": ["'self'", "'unsafe-inline'"],
        "font-src": ["'self'", "data:"],
        "script-src": ["'self'", "'strict-dynamic'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": False,
}
CONTENT_SECURITY_POLICY_WARNING = False

# One cache prefix per metadata database: two Superset instances sharing a Redis
# database (the demo and a test run) both number their first warehouse connection 1,
# and would otherwise serve each other's cached query results.
_CACHE_PREFIX = "cw_" + hashlib.sha256(SQLALCHEMY_DATABASE_URI.encode()).hexdigest()[:12] + "_"
_CACHE_REDIS_URL = os.environ.get("SUPERSET_CACHE_REDIS_URL", "redis://127.0.0.1:6379/2")


def _cache(name: str, timeout_seconds: int) -> dict[str, object]:
    if _CACHE_REDIS_URL == "simple":
        return {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": timeout_seconds}
    return {
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": _CACHE_REDIS_URL,
        "CACHE_KEY_PREFIX": f"{_CACHE_PREFIX}{name}_",
        "CACHE_DEFAULT_TIMEOUT": timeout_seconds,
    }


# Filter state and explore form data keep Superset's default, the metastore cache,
# because every web worker must see them.
CACHE_CONFIG = _cache("meta", 24 * 3600)
DATA_CACHE_CONFIG = _cache("data", 24 * 3600)
# Cache keys are recorded per dataset, so ``/api/v1/cachekey/invalidate`` can drop
# every cached result of a dataset after a pipeline run.
STORE_CACHE_KEYS_IN_METADATA_DB = True

# The warehouse is read-only for dashboard users.
SQLLAB_CTAS_NO_LIMIT = False
PREVENT_UNSAFE_DB_CONNECTIONS = True
SUPERSET_WEBSERVER_TIMEOUT = 120
ROW_LIMIT = 50000
