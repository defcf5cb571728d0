"""Data and availability query paths and parameters (REST v1 and v2) turned into one plain query object.

v1's ``/data/{flowRef}/{key}/{providerRef}?startPeriod&endPeriod&detail`` and v2's
``/data/{context}/{agency}/{id}/{version}/{key}?c[..]&attributes&measures`` both land in
:class:`DataQuery`; v1's period bounds become a TIME_PERIOD filter and its ``detail`` becomes
v2's ``attributes``/``measures``, so retrieval knows one vocabulary. Nothing here knows the DSD:
keys and component ids are checked against it when the plan is made (``data_plan``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal, Mapping

from .errors import BadInput, NotImplementedQuery
from .rest_query import AGENCY_ID, RESOURCE_ID, id_list
from .versions import VersionQuery, parse_version_query

Api = Literal["v1", "v2"]
OPERATORS = ("eq", "ne", "lt", "le", "gt", "ge", "co", "nc", "sw", "ew")
CONTEXTS = ("dataflow", "datastructure", "provisionagreement")
DETAILS = ("full", "dataonly", "serieskeysonly", "nodata")
_NEGOTIATION = {"format", "formatVersion", "lang", "compression"}
_V1_PARAMS = {"startPeriod", "endPeriod", "updatedAfter", "firstNObservations", "lastNObservations",
              "dimensionAtObservation", "detail", "includeHistory", "asOf"}
_V2_PARAMS = {"updatedAfter", "firstNObservations", "lastNObservations", "dimensionAtObservation", "attributes",
              "measures", "includeHistory", "asOf", "offset", "limit", "sort", "reportingYearStartDay"}
_C_PARAM = re.compile(r"^c\[([A-Za-z\d_@$-]+)\]$")


@dataclass(frozen=True)
class Condition:
    op: str  # one of OPERATORS
    value: str


# c[X]=A,B+C: alternatives (OR) of conjunctions (AND) of conditions
ComponentFilter = tuple[tuple[Condition, ...], ...]


@dataclass(frozen=True)
class DataQuery:
    api: Api
    context: str | None  # "dataflow", "datastructure", "provisionagreement"; None = any
    agencies: tuple[str, ...] | None
    ids: tuple[str, ...] | None
    versions: tuple[VersionQuery, ...]
    keys: tuple[str, ...] | None = None  # as written, one per alternative key; None = every key
    providers: tuple[str, ...] | None = None  # v1 providerRef (provider ids); None = any
    filters: dict[str, ComponentFilter] = field(default_factory=dict)
    updated_after: datetime | None = None
    as_of: datetime | None = None
    include_history: bool = False
    first_n: int | None = None
    last_n: int | None = None
    dimension_at_observation: str | None = None
    detail: str = "full"  # v1 detail; v2 answers are "full" with attributes/measures narrowing them
    attributes: tuple[str, ...] = ("dsd",)
    measures: tuple[str, ...] = ("all",)
    offset: int = 0
    limit: int | None = None
    sort: tuple[tuple[str, bool], ...] = ()  # (component id, "*" or "series_key"; descending?)
    reporting_year_start_day: str | None = None

    @property
    def series_only(self) -> bool:
        """No observation is written (serieskeysonly, nodata, or measures=none with no obs attribute)."""
        return self.detail in ("serieskeysonly", "nodata")


def parse_data_query_v1(flow_ref: str, key: str | None, provider_ref: str | None,
                        args: Mapping[str, str]) -> DataQuery:
    """``/rest/data/{flowRef}/{key}/{providerRef}`` (SDMX 2.1 REST)."""
    _check_params(args, _V1_PARAMS, "v1")
    agencies, ids, versions = _flow_ref(flow_ref)
    providers = None
    if provider_ref not in (None, "", "all", "*"):
        providers = tuple(p.split(",")[-1] for p in provider_ref.split("+"))
        for p in providers:
            _check_id(p, "providerRef")
    filters: dict[str, ComponentFilter] = {}
    bounds = []
    if "startPeriod" in args:
        bounds.append(Condition("ge", _period_bound(args["startPeriod"], "startPeriod")))
    if "endPeriod" in args:
        bounds.append(Condition("le", _period_bound(args["endPeriod"], "endPeriod")))
    if bounds:
        filters["TIME_PERIOD"] = (tuple(bounds),)
    detail = args.get("detail", "full")
    if detail not in DETAILS:
        raise BadInput(f"detail={detail!r} is not one of {', '.join(DETAILS)}")
    q = DataQuery("v1", "dataflow", agencies, ids, versions,
                  keys=None if key in (None, "", "all", "*") else (key,), providers=providers, filters=filters,
                  detail=detail, attributes=("none",) if detail == "dataonly" else ("dsd",),
                  measures=("none",) if detail in ("serieskeysonly", "nodata") else ("all",),
                  **_common(args))
    return _check_times(q)


def parse_data_query_v2(context: str | None, agency: str | None, resource: str | None, version: str | None,
                        key: str | None, args: Mapping[str, str]) -> DataQuery:
    """``/rest/v2/data/{context}/{agencyID}/{resourceID}/{version}/{key}`` (SDMX 3.0 REST)."""
    _check_params(args, _V2_PARAMS, "v2")
    if context in (None, "", "*"):
        context = None
    elif context not in CONTEXTS:
        raise BadInput(f"context {context!r} is not one of {', '.join(CONTEXTS)} or *")
    agencies = id_list(agency, "", AGENCY_ID, "agencyID")
    ids = id_list(resource, "", RESOURCE_ID, "resourceID")
    versions = tuple(parse_version_query(version or "*", "v2"))
    keys = None if key in (None, "", "*") else tuple(key.split(","))
    filters = {}
    for name, value in args.items():
        m = _C_PARAM.match(name)
        if m:
            filters[m.group(1)] = parse_component_filter(value, name)
    offset = _int(args, "offset", minimum=0) or 0
    limit = _int(args, "limit", minimum=1)
    q = DataQuery("v2", context, agencies, ids, versions, keys=keys, filters=filters,
                  attributes=_words(args.get("attributes", "dsd"), "attributes"),
                  measures=_words(args.get("measures", "all"), "measures"),
                  offset=offset, limit=limit, sort=_sort(args.get("sort")),
                  reporting_year_start_day=_year_start(args.get("reportingYearStartDay")), **_common(args))
    return _check_times(q)


@dataclass(frozen=True)
class AvailabilityQuery:
    data: DataQuery  # the data query whose answer is described
    component: str | None  # one dimension to describe, or None for all
    mode: str  # "exact" or "available"
    references: tuple[str, ...]


_AVAILABILITY_REFERENCES = ("none", "all", "datastructure", "dataflow", "codelist", "conceptscheme",
                            "dataproviderscheme", "valuelist")


def parse_availability_query(api: Api, path: Mapping[str, str | None], args: Mapping[str, str]) -> AvailabilityQuery:
    """v1 ``/availableconstraint/{flowRef}/{key}/{providerRef}/{componentID}``, v2
    ``/availability/{context}/{agencyID}/{resourceID}/{version}/{key}/{componentID}`` (availability.md)."""
    own = {"mode": args.get("mode", "exact"), "references": args.get("references", "none")}
    if own["mode"] not in ("exact", "available"):
        raise BadInput(f"mode={own['mode']!r} is not exact or available")
    references = tuple(r.strip() for r in own["references"].split(","))
    for r in references:
        if r not in _AVAILABILITY_REFERENCES:
            raise BadInput(f"references={r!r} is not one of {', '.join(_AVAILABILITY_REFERENCES)}")
    rest = {k: v for k, v in args.items() if k not in own}
    for name in rest:
        allowed = ({"startPeriod", "endPeriod", "updatedAfter"} if api == "v1"
                   else {"updatedAfter", "reportingYearStartDay"})
        if name not in allowed and name not in _NEGOTIATION and not (api == "v2" and _C_PARAM.match(name)):
            raise BadInput(f"unknown query parameter {name!r} for a {api} availability query")
    if api == "v1":
        data = parse_data_query_v1(path["flow_ref"] or "", path.get("key"), path.get("provider_ref"), rest)
    else:
        data = parse_data_query_v2(path.get("context"), path.get("agency"), path.get("resource"), path.get("version"),
                                   path.get("key"), rest)
    component = path.get("component")
    if component in (None, "", "*", "all"):
        component = None
    else:
        _check_id(component, "componentID")
    return AvailabilityQuery(data, component, own["mode"], references)


def parse_component_filter(text: str, where: str) -> ComponentFilter:
    """``A,B+C`` -> ((eq A,), (eq B, eq C)); an operator prefix ``ge:`` applies to its own value only."""
    if text == "":
        raise BadInput(f"{where} is empty")
    out = []
    for alternative in text.split(","):
        conj = []
        for part in alternative.split("+"):
            op, sep, value = part.partition(":")
            if sep and op in OPERATORS:
                conj.append(Condition(op, value))
            else:  # no operator (a value may itself hold ':' as in a datetime)
                conj.append(Condition("eq", part))
            if conj[-1].value == "":
                raise BadInput(f"{where}: {part!r} has no value")
        out.append(tuple(conj))
    return tuple(out)


def _common(args: Mapping[str, str]) -> dict:
    dao = args.get("dimensionAtObservation")
    if dao is not None and not re.match(r"^[A-Za-z][A-Za-z\d_-]*$", dao):
        raise BadInput(f"dimensionAtObservation={dao!r} is not a dimension id or AllDimensions")
    return {"updated_after": _datetime(args, "updatedAfter"), "as_of": _datetime(args, "asOf"),
            "include_history": _bool(args, "includeHistory"),
            "first_n": _int(args, "firstNObservations", minimum=1),
            "last_n": _int(args, "lastNObservations", minimum=1),
            "dimension_at_observation": dao}


def _check_times(q: DataQuery) -> DataQuery:
    if q.updated_after and q.as_of and q.updated_after > q.as_of:
        raise BadInput(f"updatedAfter ({q.updated_after.isoformat()}) is later than asOf ({q.as_of.isoformat()})")
    return q


def _check_params(args: Mapping[str, str], allowed: set[str], api: str) -> None:
    for name in args:
        if name in allowed or name in _NEGOTIATION or (api == "v2" and _C_PARAM.match(name)):
            continue
        hint = " (v1 uses startPeriod/endPeriod; v2 uses c[TIME_PERIOD]=ge:..+le:..)" if name in (
            "startPeriod", "endPeriod", "c") or name.startswith("c[") else ""
        raise BadInput(f"unknown query parameter {name!r} for a {api} data query{hint}")


def _flow_ref(text: str) -> tuple[tuple[str, ...] | None, tuple[str, ...], tuple[VersionQuery, ...]]:
    """``EXR``, ``ECB,EXR`` or ``ECB,EXR,1.0`` (``all`` and ``latest`` allowed in the agency and version)."""
    parts = text.split(",")
    if len(parts) > 3 or not all(parts):
        raise BadInput(f"flowRef {text!r} is not ID, AGENCY,ID or AGENCY,ID,VERSION")
    if len(parts) == 1:
        parts = ["all", parts[0], "latest"]
    elif len(parts) == 2:
        parts.append("latest")
    agency, id_, version = parts
    if id_ in ("all", "*"):
        raise BadInput("flowRef must name a dataflow id")
    _check_id(id_, "flowRef")
    agencies = None if agency in ("all", "*") else (agency,)
    if agencies and not AGENCY_ID.match(agency):
        raise BadInput(f"flowRef: agency {agency!r} is not a valid identifier")
    return agencies, (id_,), tuple(parse_version_query(version, "v1"))


def _check_id(value: str, what: str) -> None:
    if not RESOURCE_ID.match(value):
        raise BadInput(f"{what}: {value!r} is not a valid identifier")


def _words(text: str, what: str) -> tuple[str, ...]:
    values = tuple(v.strip() for v in text.split(",") if v.strip())
    if not values:
        raise BadInput(f"{what} is empty")
    for v in values:
        _check_id(v, what)
    return values


def _int(args: Mapping[str, str], name: str, *, minimum: int) -> int | None:
    if name not in args:
        return None
    try:
        value = int(args[name])
    except ValueError:
        raise BadInput(f"{name}={args[name]!r} is not an integer") from None
    if value < minimum:
        raise BadInput(f"{name}={value} must be at least {minimum}")
    return value


def _bool(args: Mapping[str, str], name: str) -> bool:
    value = args.get(name, "false").lower()
    if value not in ("true", "false"):
        raise BadInput(f"{name}={args[name]!r} is not true or false")
    return value == "true"


def _datetime(args: Mapping[str, str], name: str) -> datetime | None:
    """xs:dateTime; without an offset, the service's local time (data.md), which is UTC here."""
    if name not in args:
        return None
    text = args[name].strip().replace(" ", "+")  # an unencoded '+' in a query string arrives as a space
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"{name}={args[name]!r} is not an xs:dateTime such as 2024-05-15T14:15:00+01:00") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _period_bound(text: str, name: str) -> str:
    from .time_periods import parse_period

    try:
        parse_period(text)
    except ValueError as e:
        raise BadInput(f"{name}: {e}") from None
    return text


def _sort(text: str | None) -> tuple[tuple[str, bool], ...]:
    if not text:
        return ()
    out = []
    for part in text.split("+"):
        name, _, order = part.partition(":")
        if order not in ("", "asc", "desc"):
            raise BadInput(f"sort: {part!r}: the order must be asc or desc")
        if name not in ("*", "series_key"):
            _check_id(name, "sort")
        out.append((name, order == "desc"))
    return tuple(out)


def _year_start(text: str | None) -> str | None:
    if text is None:
        return None
    if not re.match(r"^--\d{2}-\d{2}$", text):
        raise BadInput(f"reportingYearStartDay={text!r} is not --MM-DD")
    if text != "--01-01":
        raise NotImplementedQuery("reportingYearStartDay other than --01-01 is not supported: "
                                  "every stored period uses the calendar year")
    return text
