"""The documents library's files in a backup or an export, and back into a server's ``document_dir``.

The rows live in the database, the files beside it (storage/document_files.py), each under a random key that is
never reused: a replaced file gets a new key and the old one is deleted once the change commits. A copy therefore
takes the keys from the very snapshot it copies the rows from, and copies those files: a file uploaded later is
not named by the snapshot and stays out; the rows and the files agree. Each copied file's SHA-256 and size go into
the manifest; putting them back checks every file first, so a damaged copy is refused before anything is written.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

from ..storage.document_files import DocumentFiles, is_key
from .backup_errors import BackupError

FOLDER = "documents"


def copy_out(keys: Iterable[str], document_dir: Path | None, dest: Path) -> dict[str, dict[str, object]]:
    """Copy the files named by ``keys`` from ``document_dir`` into ``dest/documents``; key -> sha256 and bytes."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    if document_dir is None:
        raise BackupError(f"the database names {len(keys)} document files and no document_dir says where they are")
    files = DocumentFiles(Path(document_dir))
    folder = dest / FOLDER
    folder.mkdir()
    out: dict[str, dict[str, object]] = {}
    for key in keys:
        try:
            digest, size = _copy(files.path(key), folder / key)
        except FileNotFoundError:
            raise BackupError(f"the file {key} of a document in the snapshot is missing from {files.root}: if the "
                              f"document's file was replaced while copying, run again; otherwise the server has "
                              f"lost it (its download answers 404 too)") from None
        except ValueError as e:  # not a key: a row no upload wrote
            raise BackupError(f"a document row names the file {key!r}: {e}") from None
        out[key] = {"sha256": digest, "bytes": size}
    return out


def check(src: Path, recorded: object) -> dict[str, dict[str, object]]:
    """Every file the manifest names is in ``src/documents`` with its recorded SHA-256 and size."""
    if not isinstance(recorded, dict):
        raise BackupError(f"{src}: the manifest's documents are not a table of file names")
    for key, entry in recorded.items():
        if not is_key(key) or not isinstance(entry, dict):
            raise BackupError(f"{src}: the manifest names the document file {key!r}, which no server writes")
        path = src / FOLDER / key
        if not path.is_file():
            raise BackupError(f"{path} is missing: the manifest names it")
        digest, size = digest_of(path)
        if digest != entry.get("sha256") or size != entry.get("bytes"):
            raise BackupError(f"{path} is damaged: its SHA-256 is {digest} ({size} bytes), the manifest records "
                              f"{entry.get('sha256')} ({entry.get('bytes')} bytes)")
    return recorded


def conflicts(recorded: dict[str, dict[str, object]], document_dir: Path | None, *, replace: bool) -> list[str]:
    """The keys to write into ``document_dir``: those it lacks, and (``replace``) those it holds different. A
    file already there with other bytes is refused without ``replace``. Writes nothing."""
    if not recorded:
        return []
    if document_dir is None:
        raise BackupError(f"the copy holds {len(recorded)} document files and no document_dir says where to put them")
    files = DocumentFiles(Path(document_dir))
    wanted, different = [], []
    for key, entry in sorted(recorded.items()):
        path = files.path(key)
        if path.exists():
            if digest_of(path)[0] == entry["sha256"]:
                continue  # already there, the same bytes
            different.append(key)
        wanted.append(key)
    if different and not replace:
        raise BackupError(f"{files.root} already holds {len(different)} document files under the same names with "
                          f"other contents ({', '.join(different[:3])}...): pass --replace to overwrite them")
    return wanted


def install(src: Path, recorded: dict[str, dict[str, object]], keys: list[str], document_dir: Path) -> list[str]:
    """Write the checked files ``keys`` from ``src/documents`` into ``document_dir``; the keys that were not
    there before (to take back if the database part fails). On any failure those are removed again."""
    files = DocumentFiles(Path(document_dir))
    written: list[str] = []
    try:
        for key in keys:
            new = not files.path(key).exists()
            digest = files.install(key, src / FOLDER / key)
            if new:
                written.append(key)
            if digest != recorded[key]["sha256"]:
                raise BackupError(f"{src / FOLDER / key} changed while it was restored: its SHA-256 is now {digest}")
    except BaseException:
        remove(document_dir, written)
        raise
    return written


def remove(document_dir: Path | None, keys: list[str]) -> None:
    """Take back the files an install wrote (the database part failed: nothing is kept)."""
    if document_dir is not None:
        files = DocumentFiles(Path(document_dir))
        for key in keys:
            files.delete(key)


def digest_of(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def _copy(source: Path, target: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(source, "rb") as f, open(target, "xb") as out:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return h.hexdigest(), size
