"""Data queries answered by retrieval, on SQLite and PostgreSQL: what reaches the writers, series by series.

Data arrive the way users send them (ECB's own message for M.USD.EUR.SP00.A, then SDMX-CSV), so the
stored rows, history included, are ingest's real output. HTTP, formats and negotiation are covered by
tests/test_data_api.py; this module checks the query semantics of data.md.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from sdmx_server.retrieval.data_retrieval import prepare_data_query, read_data
from sdmx_server.sdmx.artefacts import urn_for
from sdmx_server.sdmx.data_query import parse_data_query_v1, parse_data_query_v2
from sdmx_server.sdmx.errors import BadInput, NotFound, TooLarge
from sdmx_server.settings import load_config
from sdmx_server.storage.artefact_store import ArtefactStore

from .test_data_submission import load, provision

FLOW = "/rest/v2/data/dataflow/ECB/EXR/1.0"
CSV_HEAD = "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,CURRENCY,CURRENCY_DENOM,EXR_TYPE,EXR_SUFFIX,TIME_PERIOD,OBS_VALUE,OBS_STATUS\n"


@pytest.fixture
def config(database_url):
    """CSV rows below carry no series attributes (COLLECTION is mandatory in ECB_EXR1)."""
    return load_config(overrides={"database_url": database_url, "secret_key": "test", "max_body_bytes": 1_048_576,
                                  "require_series_attributes": False})


def _csv(rows: list[str], action: str = "I") -> bytes:
    return (CSV_HEAD + "".join(f"dataflow,ECB:EXR(1.0),{action},{r}\n" for r in rows)).encode()


def _post(admin, body: bytes, content_type: str = "text/csv", method: str = "POST") -> None:
    r = admin(method, FLOW + "?provider=ECB", body, **{"Content-Type": content_type,
                                                        "Accept": "application/problem+json"})
    assert r.status_code in (200, 201), r.get_data(as_text=True)


@pytest.fixture
def exr(app, engine, admin, specimens):
    """ECB:EXR(1.0) over ECB_EXR1 with ECB's USD series (252 months, 1999-01..2019-12) and three more."""
    load(engine, specimens / "ECB_EXR/1/structure-full.xml")
    provision(engine, "ECB", "EXR", urn_for("datastructure", "ECB", "ECB_EXR1", "1.0"))
    _post(admin, (specimens / "ECB_EXR/1/M.USD.EUR.SP00.A.xml").read_bytes(), "application/xml")
    _post(admin, _csv([f"M,JPY,EUR,SP00,A,2019-{m:02d},{120 + m},A" for m in range(1, 13)]
                      + [f"Q,USD,EUR,SP00,A,2019-Q{q},{1.1 + q / 100},A" for q in range(1, 5)]
                      + [f"A,GBP,EUR,SP00,A,{y},{0.8 + (y - 2015) / 100},E" for y in range(2015, 2020)]))
    return engine


def _answer(engine, query, **kw):
    """Every data set of the answer as (action, valid_from, valid_to, attrs, [(key, attrs, [obs...])])."""
    kw.setdefault("max_observations", 1_000_000)
    with engine.connect() as conn:
        store = ArtefactStore(conn)
        prepared = prepare_data_query(conn, store, query, visible=lambda urn: None)
        message = read_data(conn, store, prepared, languages=["en"], need_labels=False, **kw)
        if message is None:
            return None
        return message, [(ds.action, ds.valid_from, ds.valid_to, ds.attributes,
                          [(s.key, s.attributes, list(s.observations)) for s in ds.series])
                         for ds in message.data_sets]


def _v1(flow="ECB,EXR,1.0", key=None, provider=None, **args):
    return parse_data_query_v1(flow, key, provider, {k: str(v) for k, v in args.items()})


def _v2(key=None, **args):
    return parse_data_query_v2("dataflow", "ECB", "EXR", "1.0", key,
                               {k.replace("c_", "c[") + ("]" if k.startswith("c_") else ""): str(v)
                                for k, v in args.items()})


def _series(answer) -> dict[tuple, list]:
    _message, data_sets = answer
    return {key: obs for _a, _f, _t, _attrs, series in data_sets for key, _sa, obs in series}


def test_whole_dataflow_in_series_order_with_attributes(exr):
    message, data_sets = _answer(exr, _v1())
    assert message.dimension_at_observation == "TIME_PERIOD" and message.obs_dimensions == ("TIME_PERIOD",)
    assert [d[0] for d in data_sets] == ["Information"]
    series = data_sets[0][4]
    assert [s[0] for s in series] == sorted(s[0] for s in series)
    usd = dict((s[0], s) for s in series)[("M", "USD", "EUR", "SP00", "A")]
    assert len(usd[2]) == 252 and usd[2][0][0] == ("1999-01",) and usd[2][-1][0] == ("2019-12",)
    assert usd[1]["COLLECTION"] == "A" and usd[1]["TITLE"] == "US dollar/Euro"  # series attributes, as sent
    assert usd[2][0][2] == {"OBS_STATUS": "A"} and usd[2][0][1] == "1.16078"
    assert sum(len(s[2]) for s in series) == 252 + 12 + 4 + 5


def test_keys_wildcards_and_alternatives(exr):
    assert set(_series(_answer(exr, _v1(key="M..EUR.SP00.A")))) == {("M", "JPY", "EUR", "SP00", "A"),
                                                                   ("M", "USD", "EUR", "SP00", "A")}
    assert set(_series(_answer(exr, _v1(key="M+Q.USD")))) == {("M", "USD", "EUR", "SP00", "A"),
                                                              ("Q", "USD", "EUR", "SP00", "A")}
    assert set(_series(_answer(exr, _v2("A.GBP.*.*.*,Q.*.*.*.*")))) == {("A", "GBP", "EUR", "SP00", "A"),
                                                                       ("Q", "USD", "EUR", "SP00", "A")}
    assert _answer(exr, _v1(key="D.USD")) is None  # nothing: the API answers 204
    with pytest.raises(BadInput, match="one value or"):
        _answer(exr, _v2("M.USD+JPY.EUR.SP00.A"))
    with pytest.raises(BadInput, match="has 6 dimensions"):
        _answer(exr, _v1(key="M.USD.EUR.SP00.A.X"))


def test_period_filters_compare_intervals(exr):
    # v1 bounds keep the periods inside [start of 2019-Q2, end of 2019-Q3]: months 04..09, Q2 and Q3, no year
    got = _series(_answer(exr, _v1(startPeriod="2019-Q2", endPeriod="2019-Q3")))
    assert [o[0][0] for o in got[("M", "JPY", "EUR", "SP00", "A")]] == [f"2019-{m:02d}" for m in range(4, 10)]
    assert [o[0][0] for o in got[("Q", "USD", "EUR", "SP00", "A")]] == ["2019-Q2", "2019-Q3"]
    assert ("A", "GBP", "EUR", "SP00", "A") not in got
    # v2: the same with c[TIME_PERIOD]; an annual bound takes the whole year; alternatives OR
    got = _series(_answer(exr, _v2(c_TIME_PERIOD="ge:2019-04+le:2019-09")))
    assert len(got[("M", "JPY", "EUR", "SP00", "A")]) == 6
    got = _series(_answer(exr, _v2(**{"c_TIME_PERIOD": "2016,2018"})))
    assert [o[0][0] for o in got[("A", "GBP", "EUR", "SP00", "A")]] == ["2016", "2018"]
    got = _series(_answer(exr, _v2(c_TIME_PERIOD="gt:2018")))
    assert [o[0][0] for o in got[("A", "GBP", "EUR", "SP00", "A")]] == ["2019"]
    with pytest.raises(BadInput, match="not an SDMX time period"):
        _v1(startPeriod="2019-13")


def test_component_filters_on_dimensions_attributes_and_measures(exr):
    got = _series(_answer(exr, _v2(c_CURRENCY="USD,GBP", c_FREQ="ne:M")))
    assert set(got) == {("Q", "USD", "EUR", "SP00", "A"), ("A", "GBP", "EUR", "SP00", "A")}
    got = _series(_answer(exr, _v2(c_OBS_STATUS="E")))  # an observation attribute, checked per observation
    assert set(got) == {("A", "GBP", "EUR", "SP00", "A")} and len(got[("A", "GBP", "EUR", "SP00", "A")]) == 5
    got = _series(_answer(exr, _v2(c_OBS_VALUE="ge:130")))  # numbers compare as numbers
    assert [o[1] for o in got[("M", "JPY", "EUR", "SP00", "A")]] == ["130", "131", "132"]
    got = _series(_answer(exr, _v2(c_CURRENCY="sw:J")))
    assert set(got) == {("M", "JPY", "EUR", "SP00", "A")}
    with pytest.raises(BadInput, match="NOPE is not a component"):
        _answer(exr, _v2(c_NOPE="1"))


def test_first_and_last_n_observations(exr):
    got = _series(_answer(exr, _v1(key="M.USD", lastNObservations=2)))
    assert [o[0][0] for o in got[("M", "USD", "EUR", "SP00", "A")]] == ["2019-11", "2019-12"]
    got = _series(_answer(exr, _v1(key="M.USD", firstNObservations=1, lastNObservations=1)))
    assert [o[0][0] for o in got[("M", "USD", "EUR", "SP00", "A")]] == ["1999-01", "2019-12"]


def test_detail_levels(exr):
    _m, data_sets = _answer(exr, _v1(detail="serieskeysonly"))
    assert all(obs == [] and attrs == {} for _k, attrs, obs in data_sets[0][4]) and len(data_sets[0][4]) == 4
    _m, data_sets = _answer(exr, _v1(key="M.USD", detail="nodata"))
    assert data_sets[0][4][0][1]["TITLE"] == "US dollar/Euro" and data_sets[0][4][0][2] == []
    message, data_sets = _answer(exr, _v1(key="M.USD", detail="dataonly"))
    key, attrs, obs = data_sets[0][4][0]
    assert not message.with_attributes and attrs == {} and obs[0][2] is None and obs[0][1] == "1.16078"
    _m, data_sets = _answer(exr, _v2("M.USD.EUR.SP00.A", attributes="OBS_STATUS,TITLE", measures="none"))
    key, attrs, obs = data_sets[0][4][0]
    assert attrs == {"TITLE": "US dollar/Euro"} and obs[0][1] is None and obs[0][2] == {"OBS_STATUS": "A"}
    _m, data_sets = _answer(exr, _v2(attributes="none", measures="none"))  # "the list of indicators"
    assert all(obs == [] for _k, _a, obs in data_sets[0][4])


def test_cross_section_and_flat_packaging(exr):
    message, data_sets = _answer(exr, _v1(key="M...SP00.A", dimensionAtObservation="CURRENCY",
                                          startPeriod="2019-11"))
    assert message.series_dimensions == ("FREQ", "CURRENCY_DENOM", "EXR_TYPE", "EXR_SUFFIX", "TIME_PERIOD")
    sections = {key: obs for key, _a, obs in data_sets[0][4]}
    assert sorted(o[0] for o in sections[("M", "EUR", "SP00", "A", "2019-11")]) == [("JPY",), ("USD",)]
    assert len(sections) == 2
    message, data_sets = _answer(exr, _v1(dimensionAtObservation="AllDimensions"))
    assert message.series_dimensions == () and len(message.obs_dimensions) == 6
    flat = [o for _k, _a, obs in data_sets[0][4] for o in obs]
    assert len(flat) == 273 and flat[0][0][:2] == ("A", "GBP")
    usd = next(o for o in flat if o[0][1] == "USD" and o[0][0] == "M")
    assert usd[2]["TITLE"] == "US dollar/Euro"  # series attributes travel with each flat observation
    with pytest.raises(BadInput, match="not a dimension"):
        _answer(exr, _v1(dimensionAtObservation="NOPE"))


def test_offset_limit_and_sort(exr):
    got = _answer(exr, _v2(offset=265, limit=5))  # A.GBP 5, M.JPY 12, M.USD 252, Q.USD 4, in key order
    flat = [(key[1], o[0][0]) for _a, _f, _t, _d, series in got[1] for key, _sa, obs in series for o in obs]
    assert flat == [("USD", "2019-09"), ("USD", "2019-10"), ("USD", "2019-11"), ("USD", "2019-12"), ("USD", "2019-Q1")]
    got = _series(_answer(exr, _v2("A.GBP.EUR.SP00.A", sort="TIME_PERIOD:desc", lastNObservations=2)))
    assert [o[0][0] for o in got[("A", "GBP", "EUR", "SP00", "A")]] == ["2019", "2018"]
    got = _answer(exr, _v2(sort="CURRENCY:desc"))
    assert [k[1] for _a, _f, _t, _d, series in got[1] for k, _sa, _o in series] == ["USD", "USD", "JPY", "GBP"]


def test_too_large_answers_refused_before_writing(exr):
    with pytest.raises(TooLarge, match="narrow it"):
        _answer(exr, _v1(), max_observations=100)
    assert _answer(exr, _v1(key="A.GBP"), max_observations=100) is not None
    assert _answer(exr, _v2(limit=50), max_observations=100) is not None


def test_history_as_of_and_updated_after(exr, admin):
    time.sleep(0.01)
    between = datetime.now(timezone.utc)
    time.sleep(0.01)
    # revise JPY 2019-01, add 2020-01, delete GBP 2015 (observation) and the whole Q series
    _post(admin, _csv(["M,JPY,EUR,SP00,A,2019-01,999,A", "M,JPY,EUR,SP00,A,2020-01,150,A"]))
    _post(admin, _csv(["A,GBP,EUR,SP00,A,2015,,", "Q,USD,EUR,SP00,A,,,"], action="D"))
    now = _series(_answer(exr, _v1()))
    assert ("Q", "USD", "EUR", "SP00", "A") not in now
    assert now[("M", "JPY", "EUR", "SP00", "A")][0][1] == "999" and len(now[("A", "GBP", "EUR", "SP00", "A")]) == 4

    then = _series(_answer(exr, _v1(asOf=between.isoformat())))  # v1 accepts asOf as an extension
    assert then[("M", "JPY", "EUR", "SP00", "A")][0][1] == "121" and len(then[("Q", "USD", "EUR", "SP00", "A")]) == 4
    assert _answer(exr, _v2(asOf=(between - timedelta(days=365)).isoformat())) is None

    _m, data_sets = _answer(exr, _v2(updatedAfter=between.isoformat()))
    assert [d[0] for d in data_sets] == ["Replace", "Delete"]
    replaced = {(k, o[0][0]): o[1] for k, _a, obs in data_sets[0][4] for o in obs}
    assert replaced == {(("M", "JPY", "EUR", "SP00", "A"), "2019-01"): "999",
                        (("M", "JPY", "EUR", "SP00", "A"), "2020-01"): "150"}
    deleted = {(k, o[0][0]) for k, _a, obs in data_sets[1][4] for o in obs}
    assert deleted == {(("A", "GBP", "EUR", "SP00", "A"), "2015")} | {
        (("Q", "USD", "EUR", "SP00", "A"), f"2019-Q{q}") for q in range(1, 5)}

    _m, data_sets = _answer(exr, _v2("M.JPY.EUR.SP00.A", includeHistory="true"))
    assert [d[0] for d in data_sets] == ["Replace", "Replace"]
    first, second = data_sets
    assert first[1] < between < second[1]
    assert len(first[4][0][2]) == 12 and [o[1] for o in second[4][0][2]] == ["999", "150"]
    _m, data_sets = _answer(exr, _v2("Q.USD.EUR.SP00.A", includeHistory="true"))
    assert [d[0] for d in data_sets] == ["Replace", "Delete"] and data_sets[1][2] > between
    with pytest.raises(BadInput, match="later than asOf"):
        _v2(updatedAfter=between.isoformat(), asOf=(between - timedelta(days=1)).isoformat())


def test_flow_references_and_contexts(exr):
    assert _answer(exr, _v1(flow="EXR")) is not None and _answer(exr, _v1(flow="ECB,EXR")) is not None
    q = parse_data_query_v2("datastructure", "ECB", "ECB_EXR1", "1.0", "M.USD", {})
    assert set(_series(_answer(exr, q))) == {("M", "USD", "EUR", "SP00", "A")}
    q = parse_data_query_v2("provisionagreement", "ECB", "PA_EXR_ECB", "1.0", None, {})
    assert len(_series(_answer(exr, q))) == 4
    assert _answer(exr, _v1(provider="ECB,OTHER")) is None  # another provider's data: none
    with pytest.raises(NotFound):
        _answer(exr, _v1(flow="ECB,NOPE,1.0"))
    with pytest.raises(BadInput, match="unknown query parameter"):
        _v1(c="x")
