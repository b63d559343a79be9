"""Facts about a landed file before it is parsed: checksum, encoding, delimiter and header."""

from __future__ import annotations

import codecs
import csv
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Tried in this order when a file is not UTF-8. GB18030 is a superset of GBK.
_FALLBACK_ENCODINGS = ("gb18030", "cp1252")
DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class FileFacts:
    """A landed file's identity and encoding; ``encoding`` is None when no candidate decodes it.

    ``checksum`` is the SHA-256 in hex, or None from ``inspect_file(..., with_checksum=False)``.
    """

    path: Path
    relative: str
    size: int
    checksum: str | None
    encoding: str | None
    has_quotes: bool


def file_checksum(path: Path) -> str:
    """Return the SHA-256 of the file at ``path`` as 64 hex characters.

    hashlib releases the GIL while it hashes a chunk, so this can run in a thread beside a load.
    """
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def inspect_file(path: Path, landing_dir: Path, with_checksum: bool = True) -> FileFacts:
    """Hash ``path`` and detect its encoding: a BOM, else UTF-8, else GB18030, else cp1252.

    With ``with_checksum`` False the facts have no checksum, for a caller that hashes the
    file in another thread (``file_checksum``).
    """
    digest = hashlib.sha256() if with_checksum else None
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    has_quotes = False
    head = b""
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            if digest is not None:
                digest.update(chunk)
            # Quotes in the header line alone do not matter: they cannot wrap a value.
            values = chunk if head else chunk[chunk.find(b"\n") + 1 :]
            head = head or chunk[:4]
            has_quotes = has_quotes or b'"' in values
            # An ASCII chunk needs decoding only to finish a sequence split at the chunk's start.
            if utf8 and (not chunk.isascii() or decoder.getstate()[0]):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    bom = _encoding_from_bom(head)
    if bom == "utf-16":
        encoding: str | None = bom
    elif utf8:
        encoding = bom or "utf-8"
    else:
        encoding = _detect_legacy_encoding(path)
    relative = path.relative_to(landing_dir).as_posix()
    # In UTF-16 a quote is not the byte 0x22, so assume quotes are present.
    has_quotes = has_quotes or encoding == "utf-16"
    checksum = digest.hexdigest() if digest is not None else None
    return FileFacts(path, relative, path.stat().st_size, checksum, encoding, has_quotes)


def _encoding_from_bom(head: bytes) -> str | None:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    return None


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _detect_legacy_encoding(path: Path) -> str | None:
    candidates = [name for name in _FALLBACK_ENCODINGS if _decodes(path, name)]
    if len(candidates) < 2:
        return candidates[0] if candidates else None
    # Western text in cp1252 often also decodes as GB18030, so ask a detector to choose.
    with path.open("rb") as stream:
        sample = stream.read(4 * _CHUNK)
    best = charset_normalizer.from_bytes(sample, cp_isolation=list(candidates)).best()
    chosen = best.encoding if best is not None and best.encoding in candidates else "cp1252"
    log.info("%s is neither UTF-8 nor marked by a BOM; reading it as %s", path, chosen)
    return chosen


@contextmanager
def utf8_copy(facts: FileFacts) -> Iterator[Path]:
    """Yield a path to the file's content in UTF-8: the file itself, or a transcoded temporary copy."""
    if facts.encoding in ("utf-8", "utf-8-sig"):
        yield facts.path
        return
    handle, name = tempfile.mkstemp(prefix="cw_landing_", suffix=".utf8")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as target:
            with facts.path.open("r", encoding=facts.encoding, newline="") as source:
                while text := source.read(_CHUNK):
                    target.write(text)
        yield Path(name)
    finally:
        os.unlink(name)


@dataclass(frozen=True)
class Header:
    delimiter: str
    names: tuple[str, ...]


def read_header(path: Path) -> Header | None:
    """Read the first line of a UTF-8 file; return None when the file has no header."""
    with path.open("r", encoding="utf-8-sig", newline="") as stream:
        line = stream.readline(_CHUNK)
    line = line.rstrip("\r\n")
    if not line.strip():
        return None
    delimiter = sniff_delimiter(line)
    names = next(csv.reader([line], delimiter=delimiter))
    return Header(delimiter, tuple(name.strip() for name in names))


def sniff_delimiter(header_line: str) -> str:
    """Return whichever of , ; tab | occurs most often in the header line (a comma on a tie)."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","
