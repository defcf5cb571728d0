"""Property-based fuzzing of the data readers over HTTP (issue 16): valid DSM messages in every format, mutated
by hypothesis (bytes deleted, inserted, replaced by what breaks parsers: NUL, quotes, markup, bad UTF-8...),
must each get an answer below 500, and a refusal must name its place (line, row, column, cell or JSON path)
or say why the message as a whole is refused. The budget is bounded (SECONDS per format, ~30 s in all;
derandomized: the same examples in every CI run).
"""

from __future__ import annotations

import io
import json
import os
import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from .test_submission_bad_input import GENERIC_21, ROWS, STRUCTURE_SPECIFIC_30, URL, csv_body, seeded_server
from .test_submission_limits import SS_HEAD, SS_TAIL

# per format: new examples stop being tried after this (CI time stays bounded on a busy machine)
SECONDS = float(os.environ.get("FUZZ_SECONDS", "5"))
PLACE = re.compile(r"line \d+|row \d+|column \w|cell [A-Z]+\d|sheet \w|dataSets\[|header")
# refusals of the message as a whole: nothing in it to point at
WHOLE = ("the message body is empty", "the body is neither SDMX-ML", "the SDMX-CSV body is empty",
         "not JSON: the body is empty", "the body is not a data message", "the upload is not an Excel workbook",
         "the Excel workbook (.xlsx) is damaged", "the message is for data provider",
         "an SDMX-JSON data message is a JSON object", "the gzip-compressed body is corrupt",
         "the SDMX-CSV message is not UTF-8", "not UTF-8 JSON", "the message names no data provider")
TOKENS = [b"\x00", b"\x01", b"\x0c", b"\x1f", b"<", b">", b"&", b"&#0;", b"&#x1F;", b'"', b"'", b",", b";", b"\n",
          b"\r", b"{", b"}", b"[", b"]", b":", b"\\u0000", b"\\ud800", b"\xff", b"\xc3", b"\xef\xbb\xbf", b"NaN",
          b"-", b"1e999", b"2023-S3", b"QQ", b"<!DOCTYPE a>", b"<!--", b"]]>", b"  ", b"null", b"true", b"0:0"]
JSON_MESSAGE = {
    "data": {"structures": [{
        "structure": "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)",
        "dimensions": {"series": [{"id": d, "values": [{"id": v}]} for d, v in
                                  (("FREQ", "S"), ("REF_AREA", "KZ"), ("CITIZENSHIP", "RU"), ("SEX", "F"))],
                       "observation": [{"id": "TIME_PERIOD", "values": [{"id": "2023-S1"}, {"id": "2023-S2"}]}]},
        "attributes": {"series": [{"id": "UNIT_MEASURE", "values": [{"id": "PS"}]}],
                       "observation": [{"id": "OBS_STATUS", "values": [{"id": "A"}]}]},
        "measures": {"observation": [{"id": "OBS_VALUE"}]}}],
        "dataSets": [{"structure": 0, "action": "Information", "series": {"0:0:0:0": {
            "attributes": [0], "observations": {"0": ["5", 0], "1": ["6", 0]}}}}]}}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One SQLite server with the seeds, for every example (a fresh one each would spend the budget)."""
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite"
    app, eng, client, auth = seeded_server(f"sqlite:///{path}")
    template = client.get("/api/dataflows/DSM/DF_STOCK_FOREIGNERS/1.0/template.xlsx", headers=auth).data
    yield client, auth, template
    app.extensions["sdmx_engine"].dispose()
    eng.dispose()


def excel(template: bytes) -> bytes:
    wb = load_workbook(io.BytesIO(template))
    sheet = wb["Data"]
    values = {"FREQ": "S", "REF_AREA": "KZ", "CITIZENSHIP": "RU", "SEX": "F", "TIME_PERIOD": "2023-S1",
              "OBS_VALUE": 5, "UNIT_MEASURE": "PS", "OBS_STATUS": "A"}
    for i, cell in enumerate(sheet[1], 1):
        if cell.value in values:
            sheet.cell(3, i, values[cell.value])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


BASES = {
    "sdmx-csv": lambda _: csv_body(ROWS),
    "sdmx-ml 2.1 generic": lambda _: GENERIC_21.format(value="5").encode(),
    "sdmx-ml 2.1 structure-specific": lambda _: SS_HEAD + b'   <Obs TIME_PERIOD="2023-S1" OBS_VALUE="5" '
                                                          b'OBS_STATUS="A" OBS_COMMENT="c"/>\n' + SS_TAIL,
    "sdmx-ml 3.0": lambda _: STRUCTURE_SPECIFIC_30.format(value="5").encode(),
    "sdmx-json": lambda _: json.dumps(JSON_MESSAGE, indent=1).encode(),
    "excel": excel,
}

mutations = st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 12),
                               st.one_of(st.sampled_from(TOKENS), st.binary(max_size=6))), min_size=1, max_size=4)


def mutate(body: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    for at, cut, insert in edits:
        at %= len(body) + 1
        body = body[:at] + insert + body[at + cut:]
    return body


def check(r) -> None:
    assert r.status_code < 500, r.data[:500]
    if r.status_code < 400:
        return
    problem = r.get_json()
    assert problem is not None, r.data[:300]
    if r.status_code == 422 and "errors" in problem:
        for e in problem["errors"]:
            assert e.get("where") or e["rule"] in ("no-provider", "no-provision-agreement", "one-provider"), e
        return
    detail = problem["detail"]
    assert PLACE.search(detail) or detail.startswith(WHOLE), detail


@pytest.mark.parametrize("fmt", list(BASES))
def test_mutated_data_messages_never_get_a_500(server, fmt):
    client, auth, template = server
    base = BASES[fmt](template)
    ok = client.post(URL, data=base, headers={**auth, "Accept": "application/problem+json"})
    assert ok.status_code == 200, ok.data[:500]  # the unmutated message is valid
    ends = time.monotonic() + SECONDS
    failing: list[bytes] = []  # once one fails, every example runs (hypothesis replays and shrinks it)

    @settings(max_examples=1000, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(edits=mutations)
    def fuzz(edits):
        if time.monotonic() > ends and not failing:
            return
        body = mutate(base, edits)
        try:
            check(client.post(URL, data=body, headers={**auth, "Accept": "application/problem+json"}))
        except AssertionError:
            failing.append(body)
            raise

    fuzz()
