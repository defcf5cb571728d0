"""The documents library's files, in a folder outside the web root (setting ``document_dir``).

Each file is stored under a random key, never under the uploader's name (no path tricks can reach it), written
to a temporary name first and renamed, so a crash leaves no half file under a key a row names.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

_KEY = re.compile(r"[0-9a-f]{32}")


def is_key(name: object) -> bool:
    """Whether ``name`` is a file key (what a backup's or an export's manifest may name, nothing else)."""
    return isinstance(name, str) and _KEY.fullmatch(name) is not None


class DocumentFiles:
    def __init__(self, root: Path):
        self.root = root

    def save(self, data: bytes) -> str:
        """Store the bytes; their key."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = secrets.token_hex(16)
        tmp = self.root / f".{key}.part"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path(key))
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return key

    def install(self, key: str, source: Path) -> str:
        """Store the file at ``source`` under ``key`` (a restore or an import putting back a file a row names),
        the same way as ``save``: a temporary name, then a rename. Returns the SHA-256 of the bytes written, for
        the caller to compare with the one it checked."""
        target = self.path(key)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.root / f".{key}.{secrets.token_hex(4)}.part"
        h = hashlib.sha256()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as f, open(source, "rb") as src:
                while chunk := src.read(1 << 20):
                    h.update(chunk)
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return h.hexdigest()

    def path(self, key: str) -> Path:
        if not is_key(key):
            raise ValueError(f"not a document file key: {key!r}")
        return self.root / key

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def keys(self) -> set[str]:
        """Every stored file (tests prove a refusal kept none)."""
        return {p.name for p in self.root.iterdir() if is_key(p.name)} if self.root.exists() else set()
