"""What `init` does besides the schema: load the seed artefacts and create the demo accounts."""

from __future__ import annotations

import io

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from .identity.actor import Actor
from .identity.passwords import hash_password
from .identity.policy import Policy
from .maintenance import structure_maintenance
from .maintenance.structure_intake import read_structures
from .sdmx.artefacts import Artefact, urn_for
from .settings import Config
from .storage.artefact_store import ArtefactStore
from .storage.audit_store import AuditStore
from .storage.grant_store import GrantStore
from .storage.user_store import UserStore

DEMO_PASSWORD = "demo-password"
DEMO_COUNTRIES = ("KZ", "KG", "MD")
DEMO_ROLES = ("viewer", "data_submitter", "data_verifier", "data_approver", "content_manager",
              "country_administrator")



def _flow(id_: str) -> str:
    return urn_for("dataflow", "DSM", id_, "1.0")


# Who shares what in the demo (owner, dataflow, grantee); grantee None = made public.
DEMO_SHARING = (
    ("KZ", _flow("DF_STOCK_FOREIGNERS"), "KG"),
    ("KZ", _flow("DF_ENTRIES"), "KG"),
    ("KG", _flow("DF_STOCK_FOREIGNERS"), "KZ"),
    ("KZ", _flow("DF_WORK_PERMITS"), "MD"),
    ("MD", _flow("DF_ASYLUM_APPLICATIONS"), None),
)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    country: str | None
    indicator: str | None = None  # dataflow URN the role's per-indicator privileges are limited to


def demo_accounts() -> list[DemoAccount]:
    out = [DemoAccount("admin", "system_administrator", None)]
    for c in DEMO_COUNTRIES:
        out += [DemoAccount(f"{c.lower()}_{r}", r, c) for r in DEMO_ROLES]
    return out


def seed_files(cfg: Config) -> list[Path]:
    files: list[Path] = []
    for d in cfg.seed_dirs:
        files += sorted(cfg.path(d).glob("*.xml"))
    return files


def read_files(paths: list[Path]) -> list[Artefact]:
    artefacts: list[Artefact] = []
    for p in paths:
        artefacts += read_structures(p.read_bytes())
    return artefacts


def load_structures(engine: Engine, artefacts: list[Artefact]) -> list[structure_maintenance.Result]:
    """Store the artefacts in one transaction; any failure rolls the whole load back."""
    with engine.begin() as conn:
        results = structure_maintenance.submit(ArtefactStore(conn), artefacts, method="POST")
        failures = [r for r in results if r.status == "Failure"]
        if failures:
            raise LoadError(failures)
    return results


class LoadError(Exception):
    def __init__(self, failures: list[structure_maintenance.Result]):
        super().__init__("; ".join(r.message for r in failures))
        self.failures = failures


def create_demo_accounts(engine: Engine, policy: Policy) -> list[DemoAccount]:
    """The accounts missing, and on the first run (when ``admin`` is new) the demo sharing too, so that
    running ``init`` again never undoes what someone changed since."""
    created = []
    shared_hash = hash_password(DEMO_PASSWORD)  # argon2 is slow on purpose: once for every account
    with engine.begin() as conn:
        users = UserStore(conn, policy)
        for acc in demo_accounts():
            if not users.exists(acc.username):
                name = f"Demo {acc.role.replace('_', ' ')}" + (f" ({acc.country})" if acc.country else "")
                users.add(acc.username, DEMO_PASSWORD, roles=[acc.role], country=acc.country, display_name=name,
                          indicators=[acc.indicator] if acc.indicator else None, password_hash=shared_hash)
                created.append(acc)
        if any(acc.username == "admin" for acc in created):
            _share_demo_data(GrantStore(conn), AuditStore(conn))
    return created


def create_demo_figures(engine: Engine) -> None:
    """Stock of foreigners of each demo country: 2024-2025 released, 2026-S1 of Kazakhstan pending, so every
    workflow screen has something to show; and Moldova's asylum applications of 2024-2025, released on the
    indicator Moldova made public, so a visitor's first look at the reports shows figures. ``init`` runs it
    once, with the demo accounts."""
    with engine.begin() as conn:
        _demo_figures(conn)


HEAD = "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS"
# (dataflow, frequency, country, periods, citizenships, released); submission ids follow this order (README:
# Kazakhstan's pending one is 4)
DEMO_FIGURES = (
    *(("DF_STOCK_FOREIGNERS", "S", c, tuple(f"{y}-S{h}" for y in (2024, 2025) for h in (1, 2)),
       ("RU", "UZ", "TJ", "CN"), True) for c in DEMO_COUNTRIES),
    ("DF_STOCK_FOREIGNERS", "S", "KZ", ("2026-S1",), ("RU", "UZ", "TJ", "CN"), False),
    ("DF_ASYLUM_APPLICATIONS", "Q", "MD", tuple(f"{y}-Q{q}" for y in (2024, 2025) for q in (1, 2, 3, 4)),
     ("UA", "SY", "AF"), True),
)


def _demo_figures(conn) -> None:
    from .submission.intake import dataflow_context
    from .submission.workflow import IngestOptions, submit, verify
    from .submission.workflow import release as release_

    store = ArtefactStore(conn)
    for flow, freq, country, periods, citizenships, release in DEMO_FIGURES:
        ctx = dataflow_context(store, "DSM", flow, "1.0")
        n = DEMO_COUNTRIES.index(country)
        base = 1000 * (n + 1) if flow == "DF_STOCK_FOREIGNERS" else 40
        rows = [HEAD] + [
            f"dataflow,DSM:{flow}(1.0),I,{freq},{country},{cit},{sex},{period},"
            f"{base + 37 * i + 11 * j + (5 if sex == 'F' else 0)},PS,A"
            for i, period in enumerate(periods) for j, cit in enumerate(citizenships) for sex in ("F", "M")]
        # three people, as the four-eyes rule wants: the country's demo submitter, verifier and approver
        receipt = submit(conn, io.BytesIO("\n".join(rows).encode()), ctx, demo(country, "data_submitter"),
                         provider=country, replace=False, content_type="text/csv", options=IngestOptions())
        if release:
            verify(conn, demo(country, "data_verifier"), receipt.submission_id)
            release_(conn, demo(country, "data_approver"), receipt.submission_id, at=None, options=IngestOptions())


def demo(country: str, role: str) -> Actor:
    """The demo account of a country's role, as the workflow sees it (the privilege the role is seeded for)."""
    privilege = {"data_submitter": "submit_data", "data_verifier": "verify_data", "data_approver": "release_data"}
    return Actor(0, f"{country.lower()}_{role}", country, frozenset({privilege[role]}))


def _share_demo_data(grants: GrantStore, audit: AuditStore) -> None:
    for owner, flow, grantee in DEMO_SHARING:
        if grantee is None:
            grants.set_public(owner, flow, True, by="init")
            audit.record("init", "sharing.publish", flow, country=owner)
        else:
            grants.grant(owner, flow, grantee, by="init")
            audit.record("init", "sharing.grant", flow, country=owner, details={"grantee": grantee})
