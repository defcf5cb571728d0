"""A client of a national SDMX REST service (SDMX 2.1 REST "v1" or SDMX 3.0 REST "v2"): data of one dataflow,
changed since a time, as SDMX-ML 2.1 structure-specific messages, one page at a time.

Only what SDMX itself defines is used, so any compliant service works (another instance of this server, a .Stat
NSI): ``updatedAfter`` for the changes, ``asOf`` to pin a multi-request read to one moment, ``offset``/``limit``
for pages (v2), ETags with ``If-None-Match`` for a quiet service to answer 304. Every answer is read within
HttpLimits (bounded_http.py) and only SDMX or XML content types are taken.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import BinaryIO
from urllib.parse import quote, urlencode

from .bounded_http import HttpLimits, RemoteError, check_url, request

# what we ask for: SDMX-ML 2.1 structure-specific data, which every SDMX 2.1 and 3.0 service writes
ACCEPT = ("application/vnd.sdmx.structurespecificdata+xml;version=2.1, "
          "application/vnd.sdmx.structurespecificdata+xml;q=0.9, application/xml;q=0.5")
SDMX_TYPES = re.compile(r"^(application/vnd\.sdmx\.[a-z0-9.+-]+\+xml|application/xml|text/xml|"
                        r"application/vnd\.sdmx\.data\+csv|text/csv)\s*(;|$)", re.I)
# SDMX-CSV 2.0 with an OBS_KEY column and ACTION (R: current, D: deleted): what a mirror keeps as a table
CSV_ACCEPT = "application/vnd.sdmx.data+csv;version=2.0.0;keys=obs"
FLOW = re.compile(r"^([A-Za-z][\w.-]*)[:,]([\w@$-]+)(?:\(([\w.+~*-]+)\)|,([\w.+~*-]+))?$")


@dataclass(frozen=True)
class FlowRef:
    agency: str
    id: str
    version: str = "latest"

    @classmethod
    def parse(cls, text: str) -> FlowRef:
        """``AGENCY:ID(VERSION)``, ``AGENCY,ID,VERSION`` or without the version (the latest)."""
        m = FLOW.match(text.strip())
        if not m:
            raise ValueError(f"dataflow {text!r}: write it as AGENCY:ID(VERSION) or AGENCY,ID,VERSION, "
                             "e.g. DSM:DF_STOCK_FOREIGNERS(1.0)")
        return cls(m[1], m[2], m[3] or m[4] or "latest")

    def __str__(self) -> str:
        return f"{self.agency}:{self.id}({self.version})"


@dataclass(frozen=True)
class Service:
    """Where the national service's REST API is (``base_url`` its root: ``.../rest``) and how to read it."""

    base_url: str
    api: str = "v1"  # v1 (SDMX 2.1 REST) or v2 (SDMX 3.0 REST)
    page_size: int | None = None  # observations a page (v2 offset/limit); None: one answer
    key: str | None = None  # the series to take, in the API's key syntax (v1 "S.KZ..", v2 "S.KZ.*.*"); None: all
    token: str | None = field(default=None, repr=False)  # Bearer token for the service: never logged or shown
    limits: HttpLimits = HttpLimits()
    accept: str = ACCEPT

    def __post_init__(self) -> None:
        check_url(self.base_url, "the service's URL")
        if self.api not in ("v1", "v2"):
            raise ValueError(f"api {self.api!r}: v1 or v2")
        if self.page_size is not None and (self.api != "v2" or self.page_size < 1):
            raise ValueError("pages (page_size) need the v2 API, which defines offset and limit, "
                             "and a size of 1 or more")

    def data_url(self, flow: FlowRef, *, updated_after: datetime | None = None, as_of: datetime | None = None,
                 offset: int | None = None) -> str:
        params: dict[str, str] = {}
        if updated_after is not None:
            params["updatedAfter"] = iso(updated_after)
        if as_of is not None:
            params["asOf"] = iso(as_of)
        root = self.base_url.rstrip("/")
        if self.api == "v1":
            version = "latest" if flow.version in ("latest", "~") else flow.version
            path = f"{root}/data/{quote(flow.agency)},{quote(flow.id)},{quote(version)}"
            if self.key:
                path += "/" + quote(self.key, safe=".+")
        else:
            version = "~" if flow.version in ("latest", "~") else flow.version
            path = f"{root}/v2/data/dataflow/{quote(flow.agency)}/{quote(flow.id)}/{quote(version)}/" \
                + (quote(self.key, safe=".*,") if self.key else "*")
            if self.page_size:
                params["offset"] = str(offset or 0)
                params["limit"] = str(self.page_size)
        return path + ("?" + urlencode(params, safe=":+") if params else "")

    def structure_url(self, flow: FlowRef) -> str:
        root = self.base_url.rstrip("/")
        if self.api == "v1":
            return f"{root}/dataflow/{quote(flow.agency)}/{quote(flow.id)}/{quote(flow.version)}"
        version = "~" if flow.version in ("latest", "~") else flow.version
        return f"{root}/v2/structure/dataflow/{quote(flow.agency)}/{quote(flow.id)}/{quote(version)}"

    def headers(self, etag: str | None = None) -> dict[str, str]:
        h = {"Accept": self.accept, "Accept-Encoding": "gzip", "User-Agent": "sdmx-server-harvest"}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        if etag:
            h["If-None-Match"] = etag
        return h


@dataclass
class Page:
    """One answer: ``body`` (a temporary file, inflated) holds an SDMX message unless ``empty``."""

    url: str
    status: int
    body: BinaryIO | None
    content_type: str | None
    etag: str | None
    date: datetime | None  # the service's clock (its Date header)
    size: int

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def empty(self) -> bool:
        return self.body is None

    def close(self) -> None:
        if self.body is not None:
            self.body.close()


def iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if at.microsecond == 0 else \
        at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def get_data(service: Service, url: str, *, etag: str | None = None) -> Page:
    """GET one data answer. 304 (with ``etag``) and "no data" (204, or 404 as SDMX 2.1 answers it) come back
    empty; any other failure, or an answer that is not SDMX, is a RemoteError naming the URL."""
    sink = tempfile.SpooledTemporaryFile(max_size=8 << 20)
    try:
        answer = request("GET", url, headers=service.headers(etag), limits=service.limits, sink=sink)
        date = _date(answer.headers.get("date"))
        tag = answer.headers.get("etag")
        ctype = answer.headers.get("content-type")
        if answer.status in (304, 204, 404):
            sink.close()
            return Page(url, answer.status, None, ctype, tag if answer.status != 404 else None, date, 0)
        if answer.status in (401, 403):
            raise RemoteError(f"{url} refused our credentials ({answer.status}): check the token the link uses")
        if answer.status == 413:
            raise RemoteError(f"{url} finds the answer too large (413): harvest with pages (--page-size, v2)")
        if answer.status != 200:
            raise RemoteError(f"{url} answered {answer.status}: {_head(sink)}")
        if not ctype or not SDMX_TYPES.match(ctype):
            raise RemoteError(f"{url} answered with content type {ctype or 'none'}, not an SDMX message: refused")
        if answer.size == 0:
            raise RemoteError(f"{url} answered 200 with an empty body, which is no SDMX message")
        sink.seek(0)
        return Page(url, 200, sink, ctype, tag, date, answer.size)
    except BaseException:
        sink.close()
        raise


def check_dataflow(service: Service, flow: FlowRef) -> None:
    """The service knows the dataflow: asked once before a first harvest, since a data query's 404 means both
    "no data" and "no such dataflow"."""
    url = service.structure_url(flow)
    answer = request("GET", url, headers={**service.headers(), "Accept": "application/xml"}, limits=service.limits)
    if answer.status == 404:
        raise RemoteError(f"the service has no dataflow {flow} ({url} answered 404)")
    if answer.status != 200:
        raise RemoteError(f"{url} answered {answer.status} when asked for the dataflow {flow}")


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).astimezone(timezone.utc)
    except (TypeError, ValueError):
        return None


def _head(sink: BinaryIO, n: int = 300) -> str:
    sink.seek(0)
    return sink.read(n).decode("utf-8", "replace").replace("\n", " ").strip() or "(no body)"
