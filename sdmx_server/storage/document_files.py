"""The documents library's files, in a folder outside the web root (setting ``document_dir``).

Each file is stored under a random key, never under the uploader's name (no path tricks can reach it), written
to a temporary name first and renamed, so a crash leaves no half file under a key a row names.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

_KEY = re.compile(r"^[0-9a-f]{32}$")


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

    def path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError(f"not a document file key: {key!r}")
        return self.root / key

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def keys(self) -> set[str]:
        """Every stored file (tests prove a refusal kept none)."""
        return {p.name for p in self.root.iterdir() if _KEY.match(p.name)} if self.root.exists() else set()
