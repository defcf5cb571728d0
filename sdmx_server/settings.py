"""Every setting, declared once with its type, default and meaning.

Values come, later winning over earlier, from: these defaults, ``conf/defaults.toml``
(which documents each setting for operators), the file named by ``--config`` or
``SDMX_SERVER_CONFIG``, environment variables ``SDMX_SERVER_<NAME>``, and
explicit overrides (tests).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "SDMX_SERVER_"


@dataclass(frozen=True)
class Setting:
    name: str
    type: type
    default: Any
    description: str


SETTINGS: tuple[Setting, ...] = (
    Setting("database_url", str, "sqlite:///var/sdmx-server.sqlite",
            "SQLAlchemy URL of the database: a SQLite file (relative paths are under the project root) or postgresql+psycopg://..."),
    Setting("seed_dirs", list, ["structures", "codelists", "dataflows"],
            "Folders of SDMX-ML structure messages loaded by `init` (relative to the project root)."),
    Setting("auth_policy", str, "auth/policy.toml",
            "File declaring privileges and roles."),
    Setting("secret_key", str, "",
            "Key signing session cookies; must be set in production (the server refuses to start without one unless debug is on)."),
    Setting("debug", bool, False, "Development mode: Flask debugger and auto-reload; never in production."),
    Setting("host", str, "127.0.0.1", "Address `serve` binds to."),
    Setting("port", int, 8080, "Port `serve` binds to."),
    Setting("workers", int, 2, "gunicorn worker processes for `serve`."),
    Setting("threads", int, 4, "Threads of each worker process that run requests (`serve`)."),
    Setting("request_head_seconds", float, 10.0,
            "Time a client has to send a request's line and headers, from connecting (or from its next request "
            "on a kept-alive connection); then 408. Heads are read off the threads (sdmx_server/serving.py)."),
    Setting("keepalive_seconds", int, 5, "How long an idle kept-alive connection stays open."),
    Setting("socket_seconds", float, 30.0,
            "Longest wait for a client during a request: each read of its body, each write of the answer."),
    Setting("graceful_seconds", int, 30,
            "On SIGTERM (systemctl stop, Kubernetes), how long gunicorn's workers may finish the requests in flight "
            "before they are killed (gunicorn's --graceful-timeout); a service manager must wait longer than this."),
    Setting("max_body_bytes", int, 64 * 1024 * 1024,
            "Largest structure message accepted (after decompression); larger bodies get 413."),
    Setting("max_data_body_bytes", int, 4 * 1024 * 1024 * 1024,
            "Largest data message accepted (after decompression); data messages are streamed, never held in memory."),
    Setting("max_token_bytes", int, 1 << 20,
            "Longest single piece of a data message (a CSV line, an XML start tag or text, a JSON string or number, a "
            "run of whitespace, an Excel cell); longer ones get 413 as soon as that much is read."),
    Setting("max_inflate_ratio", int, 100,
            "Most times a compressed data message (gzip body, .xlsx) may inflate its size (past 16 MiB inflated); "
            "more is a compression bomb and gets 413. Real messages compress 8 to 50 times."),
    Setting("async_submission_bytes", int, 32 * 1024 * 1024,
            "Data submissions whose body is larger (Content-Length; a gzip body counts 10 times), of unknown length, "
            "or sent with `Prefer: respond-async` are checked and stored in the background: 202 with a job to poll."),
    Setting("max_errors", int, 100,
            "Validation errors listed in a rejection (all are counted; the list stops here)."),
    Setting("require_series_attributes", bool, True,
            "Whether a submission must give every series its mandatory series-level attributes (else 422)."),
    Setting("max_observations", int, 5_000_000,
            "Most observations one data query returns; a larger answer gets 413 with advice on narrowing it."),
    Setting("response_cache_bytes", int, 32 * 1024 * 1024,
            "Memory each worker keeps for recent data answers, by ETag (each at most 1/32 of it); 0 switches it off."),
    Setting("default_language", str, "en", "Language of labels when the client states no preference."),
    Setting("default_time_zone", str, "UTC",
            "Time zone (IANA name, e.g. Asia/Almaty) the portal shows embargo and release times in, beside UTC, "
            "until a reader chooses theirs on the time-zone page (a `tz` cookie)."),
    Setting("token_days", int, 90, "Days an API token stays valid unless `token create --days` says otherwise."),
    Setting("demo_accounts", bool, True,
            "Whether `init` creates the demo accounts listed in the README (switch off in production)."),
    Setting("reciprocity", bool, True,
            "Reciprocity rule: a country sees another country's granted data on an indicator only once it has "
            "released data of its own on that indicator."),
    Setting("four_eyes_waived", list, [],
            "Data providers (countries, e.g. [\"KZ\"]) whose one-person offices may verify and release their own "
            "submissions; everywhere else the verifier and the approver must differ from the submitter. Each waived "
            "step is recorded in the audit log."),
    Setting("provisional_current_year", bool, True,
            "Mark released observations of periods of the current calendar year (and later) provisional "
            "(OBS_STATUS = P) when the submission gives them no OBS_STATUS."),
    Setting("release_check_seconds", float, 30.0,
            "How often each server process looks for embargoed releases whose time has come (0: never; "
            "then run `sdmx-server release-due` from a timer)."),
    Setting("webhook_check_seconds", float, 5.0,
            "How often each server process sends the subscribers' queued webhook deliveries (0: never; then run "
            "`sdmx-server send-webhooks` from a timer). Runs only where release_check_seconds is not 0 either."),
    Setting("webhook_attempts", int, 8,
            "Attempts at one webhook delivery before it is marked failed in the subscriber's delivery log."),
    Setting("webhook_retry_seconds", float, 30.0,
            "Wait before the first retry of a failed webhook delivery, doubled after each further failure (at most 6 h)."),
    Setting("public_url", str, "",
            "The server's address as the public reaches it (e.g. https://dsm.example.org), for links in Atom feeds; "
            "empty: feeds link by path only. Never taken from the client's Host header."),
    Setting("proxy_count", int, 0,
            "Reverse proxies in front of the server whose X-Forwarded-For and X-Forwarded-Proto to trust (Werkzeug's "
            "ProxyFix); 0: none, the connecting address is the client's. The login throttle counts per client address."),
    Setting("session_cookie_secure", bool, False,
            "Send the portal's session cookie over HTTPS only (Secure); switch on wherever the server is reached by HTTPS."),
    Setting("max_document_bytes", int, 20 * 1024 * 1024,
            "Largest file of the documents library (PDF, DOCX, XLSX, ODT) a content manager may upload; larger "
            "ones are refused with a message and nothing is kept."),
    Setting("document_dir", str, "var/documents",
            "Folder of the documents library's files (relative paths are under the project root); outside the "
            "web root, files are served only through the portal's access check."),
    Setting("log_format", str, "text",
            "json: the server logs one JSON object a line to stderr, each request's with its X-Request-ID; text: "
            "Python's and gunicorn's usual lines (docs/operations.md)."),
    Setting("metrics_networks", list, ["127.0.0.1/32", "::1/128"],
            "Networks (CIDR) whose clients may read /metrics without a token; the client address is the one "
            "proxy_count trusts. Empty: only with metrics_token."),
    Setting("metrics_token", str, "",
            "Bearer token that also opens /metrics from anywhere (for a scraper that reaches the server through "
            "the reverse proxy); empty: none."),
    Setting("link_max_rows", int, 5_000_000,
            "Most rows one run of a link (sdmx-server link run) reads from a national source; more fail the run."),
    Setting("link_query_seconds", float, 600.0,
            "Longest a link's national query (or file) may take to read; the database's statement timeout where "
            "the dialect has one, checked between rows everywhere."),
    Setting("link_max_file_bytes", int, 512 * 1024 * 1024,
            "Largest CSV or Excel file a link reads."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Config:
    database_url: str
    seed_dirs: list
    auth_policy: str
    secret_key: str
    debug: bool
    host: str
    port: int
    workers: int
    threads: int
    request_head_seconds: float
    keepalive_seconds: int
    socket_seconds: float
    graceful_seconds: int
    max_body_bytes: int
    max_data_body_bytes: int
    max_token_bytes: int
    max_inflate_ratio: int
    async_submission_bytes: int
    max_errors: int
    require_series_attributes: bool
    max_observations: int
    response_cache_bytes: int
    default_language: str
    default_time_zone: str
    token_days: int
    demo_accounts: bool
    reciprocity: bool
    four_eyes_waived: list
    provisional_current_year: bool
    release_check_seconds: float
    webhook_check_seconds: float
    webhook_attempts: int
    webhook_retry_seconds: float
    public_url: str
    proxy_count: int
    session_cookie_secure: bool
    max_document_bytes: int
    document_dir: str
    log_format: str
    metrics_networks: list
    metrics_token: str
    link_max_rows: int
    link_query_seconds: float
    link_max_file_bytes: int

    def path(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else PROJECT_ROOT / p

    @property
    def resolved_database_url(self) -> str:
        """SQLite paths relative to the project root, so the CLI works from any folder."""
        url = self.database_url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
            return prefix + str(self.path(url[len(prefix):]))
        return url


def secret_key_problem(cfg: Config) -> str | None:
    """Why the server must not start with this secret key (None: it may). An empty key, or the example file's
    placeholder copied unchanged, would let anyone who read the example sign sessions and CSRF tokens."""
    if cfg.debug:
        return None
    if not cfg.secret_key:
        return "secret_key is not set: set SDMX_SERVER_SECRET_KEY or secret_key in the config file"
    if cfg.secret_key.startswith("CHANGE-ME"):
        return ("secret_key is still the example's placeholder: set it to a random value, e.g. "
                "python -c 'import secrets; print(secrets.token_hex(32))'")
    return None


def _coerce(setting: Setting, value: Any) -> Any:
    if setting.type is bool and isinstance(value, str):
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(f"setting {setting.name}: {value!r} is not a boolean")
    if setting.type is list and isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, setting.type):
        try:
            return setting.type(value)
        except (TypeError, ValueError):
            raise ValueError(f"setting {setting.name}: {value!r} is not a {setting.type.__name__}") from None
    return value


def _read_toml(path: Path) -> dict[str, Any]:
    with open(path, "rb") as f:
        data = tomllib.load(f)
    unknown = set(data) - set(_BY_NAME)
    if unknown:
        raise ValueError(f"{path}: unknown settings {', '.join(sorted(unknown))}")
    return data


def load_config(config_file: str | os.PathLike | None = None,
                overrides: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> Config:
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    defaults_file = PROJECT_ROOT / "conf" / "defaults.toml"
    if defaults_file.exists():
        values.update(_read_toml(defaults_file))
    config_file = config_file or environ.get(ENV_PREFIX + "CONFIG")
    if config_file:
        values.update(_read_toml(Path(config_file)))
    for s in SETTINGS:
        key = ENV_PREFIX + s.name.upper()
        if key in environ:
            values[s.name] = environ[key]
    if overrides:
        unknown = set(overrides) - set(_BY_NAME)
        if unknown:
            raise ValueError(f"unknown settings {', '.join(sorted(unknown))}")
        values.update(overrides)
    return Config(**{s.name: _coerce(s, values[s.name]) for s in SETTINGS})


assert [f.name for f in fields(Config)] == [s.name for s in SETTINGS], "Config and SETTINGS must list the same names"
