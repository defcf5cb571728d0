"""Every data specimen, once ingested, comes back in every format with the same observations and attributes.

For each SDMX-ML specimen whose structure is present (tests/test_submission_specimens.XML_CASES),
the message goes in through the submission API, then comes out through the data API in each of the
nine data formats. Each answer is validated (SDMX-ML generic against the official XSDs, structure-
specific against the schema this server generates for the dataflow, SDMX-JSON against the official
JSON schemas), read back with this server's readers and compared with the specimen as read from
the original file; SDMX-ML answers are also read by sdmx1 and compared value by value.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest
import sdmx
from lxml import etree

from sdmx_server.sdmx.artefacts import urn_for
from sdmx_server.sdmx.formats.sdmx_ml_2_1_structure_specific_data_writer import first_value
from sdmx_server.sdmx.formats import (sdmx_csv_data_reader, sdmx_json_data_reader, sdmx_ml_2_1_data_reader,
                                     sdmx_ml_3_0_data_reader)

from .data_samples import resolved, structure_info
from .formats.test_csv_json_data_writers import validate_json
from .test_data_submission import load, provision
from .test_schema_queries import validator
from .test_submission_specimens import TWICE, XML_CASES
from .xsd import validate_sdmx_ml

FORMATS = {  # media type -> (reader, how to validate)
    "application/vnd.sdmx.genericdata+xml;version=2.1": (sdmx_ml_2_1_data_reader, "xsd-2.1"),
    "application/vnd.sdmx.generictimeseriesdata+xml;version=2.1": (sdmx_ml_2_1_data_reader, "xsd-2.1"),
    "application/vnd.sdmx.structurespecificdata+xml;version=2.1": (sdmx_ml_2_1_data_reader, "schema-2.1"),
    "application/vnd.sdmx.structurespecifictimeseriesdata+xml;version=2.1": (sdmx_ml_2_1_data_reader, "schema-2.1"),
    "application/vnd.sdmx.data+xml;version=3.0.0": (sdmx_ml_3_0_data_reader, "schema-3.0"),
    "application/vnd.sdmx.data+json;version=1.0.0": (sdmx_json_data_reader, "json-1.0"),
    "application/vnd.sdmx.data+json;version=2.0.0": (sdmx_json_data_reader, "json-2.0"),
    "application/vnd.sdmx.data+csv;version=1.0.0": (sdmx_csv_data_reader, None),
    "application/vnd.sdmx.data+csv;version=2.0.0": (sdmx_csv_data_reader, None),
}
CASES = [c for c in XML_CASES if c[3] not in TWICE]
# the formats that hold SDMX 3.0 list and multilingual values (the others: ``_simple``)
COMPLEX = {"application/vnd.sdmx.data+xml;version=3.0.0", "application/vnd.sdmx.data+json;version=2.0.0"}
# SDMX-CSV 2.0 writes them in its sub-field syntax ("A;F", "en:text"); a reader needs the DSD's maximum
# occurrences to split them again, which the structures kept here lack, so they come back as that text
CSV_20 = "application/vnd.sdmx.data+csv;version=2.0.0"

JOINED = {"application/vnd.sdmx.data+json;version=1.0.0", "application/vnd.sdmx.data+csv;version=1.0.0"}


def _simple(attrs: dict, media: str) -> dict:
    """A format without complex values: SDMX-ML 2.1 carries the first value (its schemas take one code), the
    1.0 JSON and CSV formats every value, joined with ";"."""
    def one(v):
        if isinstance(v, str):
            return v
        texts = [x if isinstance(x, str) else x.get("en") for x in v]
        return ";".join(texts) if media in JOINED else first_value(v, lambda names: names.get("en"))
    return {k: one(v) for k, v in attrs.items()}


def _generated_schema(get, version: str, agency: str, flow: str) -> etree.XMLSchema:
    """The schema this server generates for the dataflow, loaded beside the official message schema."""
    path = f"/rest/schema/dataflow/{agency}/{flow}/1.0" if version == "2.1" else \
        f"/rest/v2/schema/dataflow/{agency}/{flow}/1.0"
    r = get(path)
    assert r.status_code == 200, r.data[:500]
    return validator(r.data, version)


def _same(a: str | None, b: str | None) -> bool:
    if a in (None, "", "NaN") or b in (None, "", "NaN"):
        return a in (None, "", "NaN") and b in (None, "", "NaN")
    return a == b or math.isclose(float(a), float(b))


@pytest.mark.parametrize("structures,dsd_id,agency,name", CASES, ids=[Path(c[3]).name for c in CASES])
def test_specimen_comes_back_in_every_format(engine, admin, specimens, structures, dsd_id, agency, name):
    for structure in structures:
        load(engine, specimens / structure)
    flow = "F_" + dsd_id
    url = provision(engine, agency, flow, urn_for("datastructure", agency, dsd_id, "1.0"), provider=agency)
    r = admin("POST", f"{url}?provider={agency}", (specimens / name).read_bytes())
    assert r.status_code == 200, r.data[:2000]
    info = structure_info(specimens / structures[-1])
    reader = sdmx_ml_3_0_data_reader if "/v3/" in name or name.startswith("v3/") else sdmx_ml_2_1_data_reader
    with (specimens / name).open("rb") as f:
        expected = resolved(reader.read_data(f, info), info)
    schemas = {}
    dsd = next(iter(sdmx.read_sdmx(specimens / structures[-1]).structure.values()))
    for media, (back, check) in FORMATS.items():
        r = admin("GET", f"/rest/data/{agency},{flow},1.0", Accept=media)
        assert r.status_code == 200 and r.mimetype == media.split(";")[0], (media, r.data[:500])
        if check and check.startswith("xsd"):
            validate_sdmx_ml(r.data, "2.1")
        elif check and check.startswith("schema"):
            version = check[-3:]
            schema = schemas.get(version) or schemas.setdefault(version, _generated_schema(
                lambda p: admin("GET", p), version, agency, flow))
            doc = etree.fromstring(r.data)
            assert schema.validate(doc), (media, [e.message for e in list(schema.error_log)[:5]])
        elif check:
            validate_json(r.get_data(as_text=True), check[-3:])
        got = resolved(back.read_data(io.BytesIO(r.data), info), info)
        assert got.keys() == expected.keys(), media
        for key, (value, attrs) in expected.items():
            assert _same(got[key][0], value), (media, key, got[key][0], value)
            if media == CSV_20:
                simple = {k: v for k, v in attrs.items() if isinstance(v, str)}
                assert {k: v for k, v in got[key][1].items() if k in simple} == simple, (media, key)
                for k, v in attrs.items():
                    if not isinstance(v, str):
                        assert first_value(v, lambda names: names.get("en")) in got[key][1][k], (media, key, k)
            else:
                assert got[key][1] == (attrs if media in COMPLEX else _simple(attrs, media)), (media, key)
        if "xml" in media and "3.0" not in media:  # sdmx1 reads SDMX-ML 2.1 data messages
            msg = sdmx.read_sdmx(io.BytesIO(r.data), structure=dsd)
            assert sum(len(ds.obs) for ds in msg.data) == len(expected), media
