"""Backup stores: a folder (the default) or an S3-compatible bucket.

Both stores hold the same objects under ``<database>/``: the encrypted dump, its
``.sha256`` file and the JSON manifest. Only ciphertext and metadata ever reach a store:
plain dumps stay in a private temporary folder (``private_tempdir``).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlparse

from customer_warehouse.config import BackupSettings

log = logging.getLogger(__name__)


@contextmanager
def private_tempdir(base: Path | None) -> Iterator[Path]:
    """Yield a new folder of mode 0700 under ``base``; delete it and its files on exit, even on error."""
    if base is not None:
        base.mkdir(parents=True, exist_ok=True)
    # mkdtemp creates the folder with mode 0700.
    path = Path(tempfile.mkdtemp(prefix="cw-backup-", dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        if path.exists():
            log.error("could not delete the temporary backup folder %s: delete it by hand", path)


class StoreError(OSError):
    """Reading, writing, listing or deleting backup objects failed."""


class BackupStore(ABC):
    """Objects addressed by keys such as ``warehouse/warehouse-20261204T030000Z.manifest.json``."""

    uri: str

    @abstractmethod
    @contextmanager
    def writer(self, key: str, scratch: Path) -> Iterator[BinaryIO]:
        """Yield a binary stream; its bytes become object ``key`` only when the block succeeds."""

    @abstractmethod
    def put_bytes(self, key: str, data: bytes) -> None: ...

    @abstractmethod
    def read_bytes(self, key: str) -> bytes: ...

    @abstractmethod
    def local_copy(self, key: str, scratch: Path) -> Path:
        """Return a local path of object ``key``: the file itself, or a download into ``scratch``."""

    @abstractmethod
    def list_keys(self, prefix: str) -> list[str]: ...

    @abstractmethod
    def delete(self, keys: list[str]) -> None: ...

    def exists(self, key: str) -> bool:
        return key in self.list_keys(key)


class FolderStore(BackupStore):
    """Backups in a local or mounted folder, created with mode 0700, files with mode 0600."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.uri = str(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"backup key {key!r} points outside the backup folder {self.root}")
        return path

    @contextmanager
    def writer(self, key: str, scratch: Path) -> Iterator[BinaryIO]:
        path = self._path(key)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.mkdir(mode=0o700, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as stream:
                yield stream
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)

    def put_bytes(self, key: str, data: bytes) -> None:
        with self.writer(key, self.root) as stream:
            stream.write(data)

    def read_bytes(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def local_copy(self, key: str, scratch: Path) -> Path:
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(f"backup file {path} not found")
        return path

    def list_keys(self, prefix: str) -> list[str]:
        if not self.root.is_dir():
            return []
        keys = (p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file())
        return sorted(k for k in keys if k.startswith(prefix) and not k.endswith(".partial"))

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            self._path(key).unlink(missing_ok=True)


class S3Store(BackupStore):
    """Backups in an S3-compatible bucket, reached through Airflow's S3 hook and connection."""

    def __init__(self, uri: str, conn_id: str) -> None:
        parsed = urlparse(uri)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError(f"CW_BACKUP_S3_URI={uri!r} is invalid: use s3://bucket or s3://bucket/prefix")
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        self.conn_id = conn_id
        self.uri = uri.rstrip("/")
        self._hook = None

    @property
    def hook(self):
        if self._hook is None:
            from airflow.providers.amazon.aws.hooks.s3 import S3Hook

            self._hook = S3Hook(aws_conn_id=self.conn_id)
        return self._hook

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    @contextmanager
    def _errors(self, action: str, key: str) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (BotoCoreError, ClientError) as error:
            raise StoreError(
                f"{action} s3://{self.bucket}/{self._key(key)} failed: {error}. Check that the bucket "
                f"exists and that Airflow connection {self.conn_id!r} may read and write it"
            ) from error

    @contextmanager
    def writer(self, key: str, scratch: Path) -> Iterator[BinaryIO]:
        # The hook uploads from a file (multipart for large ones), so the ciphertext is
        # staged in the private scratch folder first.
        staged = scratch / Path(key).name
        with open(staged, "wb") as stream:
            yield stream
        try:
            with self._errors("upload to", key):
                self.hook.load_file(str(staged), self._key(key), bucket_name=self.bucket, replace=True)
        finally:
            staged.unlink(missing_ok=True)

    def put_bytes(self, key: str, data: bytes) -> None:
        with self._errors("upload to", key):
            self.hook.load_bytes(data, self._key(key), bucket_name=self.bucket, replace=True)

    def read_bytes(self, key: str) -> bytes:
        with self._errors("download of", key):
            return self.hook.get_key(self._key(key), bucket_name=self.bucket).get()["Body"].read()

    def local_copy(self, key: str, scratch: Path) -> Path:
        path = scratch / Path(key).name
        with self._errors("download of", key):
            self.hook.get_key(self._key(key), bucket_name=self.bucket).download_file(str(path))
        return path

    def list_keys(self, prefix: str) -> list[str]:
        with self._errors("listing of", prefix):
            keys = self.hook.list_keys(bucket_name=self.bucket, prefix=self._key(prefix)) or []
        start = len(self.prefix) + 1 if self.prefix else 0
        return sorted(k[start:] for k in keys)

    def delete(self, keys: list[str]) -> None:
        if keys:
            with self._errors("deletion of", keys[0]):
                self.hook.delete_objects(bucket=self.bucket, keys=[self._key(k) for k in keys])


def open_store(cfg: BackupSettings) -> BackupStore:
    """Return the bucket store when ``CW_BACKUP_S3_URI`` is set, else the folder store."""
    if cfg.s3_uri:
        return S3Store(cfg.s3_uri, cfg.s3_conn_id)
    return FolderStore(cfg.directory)
