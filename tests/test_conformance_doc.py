"""docs/conformance.md names a test for each supported row: every name must be a test that exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_test_the_conformance_table_names_exists():
    text = (ROOT / "docs" / "conformance.md").read_text()
    names, file = [], None
    for given, function in re.findall(r"`((?:formats/)?test_\w+\.py)?::(\w+)`", text):
        file = given or file  # `::test_x` after `test_file.py::test_y` names another test of that file
        names.append((file, function))
    assert len(names) > 50
    missing = [f"{f}::{fn}" for f, fn in names
               if not re.search(rf"^(?:async )?def {fn}\(", (ROOT / "tests" / f).read_text(), re.M)]
    assert missing == []
