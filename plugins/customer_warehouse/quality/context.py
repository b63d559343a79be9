"""The Great Expectations context the quality gate runs in.

Each run gets a fresh ephemeral context: data sources, suites and checkpoints exist only
in memory, so concurrent runs never race on a shared ``great_expectations.yml``. Two
things persist on disk, both outside the repository: validation results under
``$CW_HOME/gx/validations`` (one file per run and table, so Data Docs list past runs too)
and the Data Docs site in ``settings.data_docs_dir``. Nothing starts a server.
"""

from __future__ import annotations

from pathlib import Path

import great_expectations as gx
from great_expectations.data_context import EphemeralDataContext
from great_expectations.data_context.types.base import DataContextConfig, ProgressBarsConfig

from customer_warehouse.config import Settings

DATA_DOCS_SITE = "local_site"


def _in_memory(class_name: str) -> dict:
    return {"class_name": class_name, "store_backend": {"class_name": "InMemoryStoreBackend"}}


def _on_disk(class_name: str, directory: str) -> dict:
    return {
        "class_name": class_name,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": directory},
    }


def build_context(settings: Settings) -> EphemeralDataContext:
    """Return a new ephemeral context whose results and Data Docs are written under ``settings``."""
    gx_root = settings.home / "gx"
    validations = gx_root / "validations"
    validations.mkdir(parents=True, exist_ok=True)
    settings.data_docs_dir.mkdir(parents=True, exist_ok=True)
    config = DataContextConfig(
        stores={
            "expectations_store": _in_memory("ExpectationsStore"),
            "validation_results_store": _on_disk("ValidationResultsStore", str(validations)),
            "checkpoint_store": _in_memory("CheckpointStore"),
            "validation_definition_store": _in_memory("ValidationDefinitionStore"),
        },
        expectations_store_name="expectations_store",
        validation_results_store_name="validation_results_store",
        checkpoint_store_name="checkpoint_store",
        data_docs_sites={
            DATA_DOCS_SITE: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(settings.data_docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def index_page(context: EphemeralDataContext) -> Path:
    """Return the path of the Data Docs index page of ``context``."""
    site = context.variables.data_docs_sites[DATA_DOCS_SITE]
    return Path(site["store_backend"]["base_directory"]) / "index.html"
