"""SDMX-JSON error messages (the ``errors`` member of SDMX-JSON 1.0 and 2.0 messages)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Iterable


def write_error(code: int, messages: Iterable[str], *, schema_version: str = "2.0.0") -> bytes:
    msgs = list(messages)
    body = {
        "meta": {
            "id": "IREF" + uuid.uuid4().hex[:12].upper(),
            "prepared": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "test": False,
            "sender": {"id": "DSM"},
        },
        "errors": [{"code": code, "title": m, "titles": {"en": m}} if schema_version.startswith("2")
                   else {"code": code, "title": m} for m in msgs],
    }
    return json.dumps(body, ensure_ascii=False).encode()
