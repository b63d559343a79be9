"""The manifest stored beside each encrypted dump, and the names of a backup's objects.

A manifest records what a restore drill checks against (row count and checksum of every
table, taken in the snapshot that pg_dump dumped) and what an operator needs to find the
right key (fingerprints of the recipients). It never holds a secret: no URL, password
or identity.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

FORMAT_VERSION = 1
DUMP_SUFFIX = ".dump.age"
CHECKSUM_SUFFIX = ".dump.age.sha256"
MANIFEST_SUFFIX = ".manifest.json"


class ManifestError(ValueError):
    """A manifest file is not valid JSON or lacks a field."""


@dataclass(frozen=True)
class TableFingerprint:
    rows: int
    checksum: str


@dataclass
class Manifest:
    backup_id: str
    database: str  # logical name: warehouse, vault, airflow, superset
    database_name: str  # name on the server when it was backed up
    created_at: str  # ISO 8601, UTC: when the snapshot was taken
    finished_at: str
    size_bytes: int  # of the encrypted dump
    sha256: str  # of the encrypted dump
    dump_file: str
    pg_dump_version: str
    server_version: str
    encoding: str
    collate: str
    ctype: str
    recipients: list[str]  # fingerprints of the age public keys
    tables: dict[str, TableFingerprint]
    run_id: str | None = None
    format_version: int = FORMAT_VERSION
    checksum_method: str = field(default="sum64-md5-rows")

    @property
    def created(self) -> datetime:
        return datetime.fromisoformat(self.created_at)

    def to_json(self) -> bytes:
        body = asdict(self)
        return (json.dumps(body, indent=2, sort_keys=True) + "\n").encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes, origin: str) -> Manifest:
        try:
            body = json.loads(data)
            body["tables"] = {name: TableFingerprint(**value) for name, value in body["tables"].items()}
            manifest = cls(**body)
            manifest.created  # noqa: B018 - validates the timestamp
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ManifestError(
                f"backup manifest {origin} is invalid ({error}): it was not written by `cw backup`, "
                "or it is damaged; pick another backup with --backup"
            ) from error
        if manifest.format_version != FORMAT_VERSION:
            raise ManifestError(
                f"backup manifest {origin} has format {manifest.format_version}, this version reads "
                f"format {FORMAT_VERSION}"
            )
        return manifest


def new_backup_id(database: str, when: datetime) -> str:
    return f"{database}-{when.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def object_keys(database: str, backup_id: str) -> dict[str, str]:
    """Return the store keys of one backup: dump, checksum and manifest."""
    base = f"{database}/{backup_id}"
    return {
        "dump": base + DUMP_SUFFIX,
        "checksum": base + CHECKSUM_SUFFIX,
        "manifest": base + MANIFEST_SUFFIX,
    }


def checksum_line(sha256: str, dump_key: str) -> bytes:
    """Return the ``.sha256`` file body, in the layout ``sha256sum --check`` reads."""
    return f"{sha256}  {dump_key.rsplit('/', 1)[-1]}\n".encode("ascii")
