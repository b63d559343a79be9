"""Customer data warehouse for e-commerce platforms.

The package contains everything the Airflow DAGs, the command line and the tests share:
settings, the platform simulator, extraction and loading into the ``raw`` schema, the
quality gate around Great Expectations and the glue that runs dbt.
"""

__version__ = "0.1.0"
