"""Country pages (content_tables.country_page), and what a country has released: per indicator its first and
last periods of current figures, and its latest released submissions. Who may see which of them is decided above,
in content/country_pages.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from .artefact_store import as_utc, utcnow
from .content_tables import country_page
from .tables import data_set, observation, series, submission


@dataclass(frozen=True)
class CountryPageRow:
    country: str
    about: dict[str, str]
    institutions: dict[str, str]
    contacts: dict[str, str]
    is_public: bool
    updated_by: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class ReleasedIndicator:
    dataflow_urn: str
    first_period: str
    last_period: str
    figures: int


@dataclass(frozen=True)
class Release:
    dataflow_urn: str
    released_at: datetime
    figures: int  # inserted + updated


class CountryPageStore:
    def __init__(self, conn: Connection):
        self.conn = conn

    def get(self, country: str) -> CountryPageRow | None:
        r = self.conn.execute(select(country_page).where(country_page.c.country == country)).first()
        if r is None:
            return None
        return CountryPageRow(r.country, json.loads(r.about), json.loads(r.institutions), json.loads(r.contacts),
                              bool(r.is_public), r.updated_by, as_utc(r.updated_at))

    def countries(self) -> set[str]:
        """Every country with a page."""
        return set(self.conn.execute(select(country_page.c.country)).scalars())

    def public_countries(self) -> set[str]:
        return set(self.conn.execute(select(country_page.c.country).where(country_page.c.is_public)).scalars())

    def save(self, page: CountryPageRow, *, by: str) -> None:
        values = dict(about=_json(page.about), institutions=_json(page.institutions), contacts=_json(page.contacts),
                      is_public=page.is_public, updated_by=by, updated_at=utcnow())
        if self.get(page.country) is None:
            self.conn.execute(insert(country_page).values(country=page.country, **values))
        else:
            self.conn.execute(update(country_page).where(country_page.c.country == page.country).values(**values))

    def released_indicators(self, provider: str) -> list[ReleasedIndicator]:
        """Per dataflow, the first and last period of the provider's current released figures."""
        q = (select(data_set.c.dataflow_urn, func.min(observation.c.period_start), func.max(observation.c.period_start),
                    func.count())
             .select_from(data_set.join(series, series.c.data_set_id == data_set.c.id)
                          .join(observation, observation.c.series_id == series.c.id))
             .where(data_set.c.provider_id == provider, observation.c.valid_to.is_(None))
             .group_by(data_set.c.dataflow_urn))
        out = []
        for urn, first, last, n in self.conn.execute(q):
            out.append(ReleasedIndicator(urn, self._period(provider, urn, first), self._period(provider, urn, last), n))
        return sorted(out, key=lambda r: r.dataflow_urn)

    def _period(self, provider: str, urn: str, start: datetime) -> str:
        """The period as reported (2025, 2025-S2 ...) of a figure starting at ``start``."""
        q = (select(observation.c.time_period)
             .select_from(data_set.join(series, series.c.data_set_id == data_set.c.id)
                          .join(observation, observation.c.series_id == series.c.id))
             .where(data_set.c.provider_id == provider, data_set.c.dataflow_urn == urn,
                    observation.c.valid_to.is_(None), observation.c.period_start == start)
             .order_by(func.length(observation.c.time_period)).limit(1))
        return self.conn.execute(q).scalar() or ""

    def latest_releases(self, provider: str, limit: int = 10) -> list[Release]:
        q = (select(submission.c.dataflow_urn, submission.c.released_at, submission.c.inserted, submission.c.updated)
             .where(submission.c.provider_id == provider, submission.c.state == "released",
                    submission.c.released_at.is_not(None))
             .order_by(submission.c.released_at.desc(), submission.c.id.desc()).limit(limit))
        return [Release(r.dataflow_urn, as_utc(r.released_at), (r.inserted or 0) + (r.updated or 0))
                for r in self.conn.execute(q)]


def _json(texts: dict[str, str]) -> str:
    return json.dumps({k: v for k, v in texts.items() if v}, ensure_ascii=False, sort_keys=True)
