"""Lower layers never import higher ones (DESIGN.md section 7): checked on the source, so a new import that
breaks the order fails here instead of waiting for a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sdmx_server"
# each layer and the packages of sdmx_server it must never import
FORBIDDEN = {
    "sdmx": {"identity", "storage", "access", "retrieval", "submission", "maintenance", "rest_api", "web_portal"},
    "identity": {"storage", "access", "retrieval", "submission", "maintenance", "rest_api", "web_portal"},
    "storage": {"access", "retrieval", "submission", "maintenance", "rest_api", "web_portal"},
    "access": {"retrieval", "submission", "maintenance", "rest_api", "web_portal"},
    "content": {"retrieval", "submission", "maintenance", "rest_api", "web_portal"},
    "submission": {"interlink", "rest_api", "web_portal"},
    # links from national databases: above submission (they submit through its workflow), below the views
    "interlink": {"rest_api", "web_portal"},
}


def imported_packages(path: Path) -> set[str]:
    """The sdmx_server packages a module imports, relative imports resolved."""
    module = path.relative_to(PACKAGE.parent).with_suffix("").parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(module[:len(module) - node.level])
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            names = [name] if node.module else [f"{name}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for n in names:
            parts = n.split(".")
            if parts[0] == "sdmx_server" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_downwards(layer: str) -> None:
    wrong = {f"{p.relative_to(PACKAGE.parent)} imports {', '.join(sorted(bad))}"
             for p in (PACKAGE / layer).rglob("*.py")
             if (bad := imported_packages(p) & FORBIDDEN[layer])}
    assert not wrong, sorted(wrong)
