"""SDMX-CSV 2.0 reference metadata messages in: bytes -> the metadata sets the SDMX-ML 3.0 reader makes.

Reads what the field guide (sdmx-csv, metadata-message) defines and the writer writes: the header
``MDSTRUCTURE[;]`` (its bracket gives the sub-field separator, the character after it the field
separator: "," or ";" or a tab), ``MDSTRUCTURE_ID``, ``METADATASET_ID``, ``ACTION`` (optional),
``TARGET_TYPES``, ``TARGET_IDS``, then one column per metadata attribute (``ATTR``, ``ATTR[]``,
``ATTR[en;ru]``, ``PARENT.CHILD``; an ``ID: Name`` header of labels=both is read by its id), and the
writer's custom columns ``metadataSetName[..]``, ``validFrom``, ``validTo``; the label columns of
labels=name (``MDSTRUCTURE_NAME``, ``METADATASET_NAME``, ``TARGET_NAMES``) are skipped.

One row is one metadata set. Only metadataflows are read (``metadataprovision`` is refused), and actions
I (Information) and R (Replace): every submission is the next version of its documentation, so an
incremental Append or Delete has no meaning here. Every refusal names line and column.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone

from ..errors import BadInput
from ..metadata_set import AttributeValue, MetadataSet
from ..xml_safety import XML_FORBIDDEN
from .metadata_targets import read_targets, urn_of_csv_target
from .sdmx_csv_2_0_metadata_subfields import read_texts, split, unquote
from .sdmx_csv_2_0_metadata_writer import NAME_COLUMN, VALID_FROM, VALID_TO

FIXED = ("MDSTRUCTURE", "MDSTRUCTURE_ID", "METADATASET_ID", "ACTION", "TARGET_TYPES", "TARGET_IDS")
LABEL_COLUMNS = ("MDSTRUCTURE_NAME", "METADATASET_NAME", "TARGET_NAMES")
REQUIRED = ("MDSTRUCTURE", "MDSTRUCTURE_ID", "METADATASET_ID", "TARGET_TYPES", "TARGET_IDS")
ACTIONS = {"I": "I", "INFORMATION": "I", "R": "R", "REPLACE": "R"}
_FIRST = re.compile(r"^\ufeff?\"?MDSTRUCTURE(?:\[(?P<sub>[^\]\"]{1})\])?\"?(?P<delim>[,;\t|])?")
_PATH = re.compile(r"^[A-Za-z0-9_@$\-]+(?:\.[A-Za-z0-9_@$\-]+)*$")
_REF = re.compile(r"^(?:(?P<agency>[A-Za-z0-9_.@\-]+):)?(?P<id>[A-Za-z0-9_@$\-]+)(?:\((?P<version>[^)]+)\))?$")


class _Column:
    def __init__(self, header: str, number: int):
        self.header, self.number = header, number
        name = header.split(": ", 1)[0].strip()  # labels=both: "ID: Name"
        self.many, self.langs = False, None
        while name.endswith("]") and "[" in name:
            inside = name[name.rindex("[") + 1:-1]
            name = name[:name.rindex("[")]
            if inside:
                self.langs = inside
            else:
                self.many = True
        self.path = name.replace("[]", "")
        if not _PATH.match(self.path):
            raise BadInput(f"column header {header[:80]!r} is not a metadata attribute id (ID, ID[], ID[en;ru], "
                           "PARENT.CHILD)", line=1, column=number)


def _where(line: int, column: int, header: str) -> str:
    return f"line {line}, column {column} ({header[:60]})"


def read_metadata_csv(data: bytes) -> list[MetadataSet]:
    """The metadata sets of an SDMX-CSV 2.0 metadata message; BadInput (400) naming line and column otherwise."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise BadInput(f"the message is not UTF-8 (byte {e.start})", line=line) from None
    bad = XML_FORBIDDEN.search(text)
    if bad is not None:
        before = text[:bad.start()]
        raise BadInput(f"the message holds the character U+{ord(bad.group()):04X} (character "
                       f"{bad.start() - before.rfind(chr(10))} of the line), which SDMX-ML cannot carry",
                       line=before.count("\n") + 1)
    m = _FIRST.match(text)
    if m is None:
        raise BadInput("an SDMX-CSV 2.0 metadata message starts with the header MDSTRUCTURE (or MDSTRUCTURE[;]) "
                       f"in its first column; found {text[:40]!r}", line=1, column=1)
    sub, delim = m["sub"] or ";", m["delim"] or ","
    if sub == delim:
        raise BadInput(f"the sub-field separator {sub!r} of MDSTRUCTURE[{sub}] is also the field separator",
                       line=1, column=1)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    try:
        header = next(rows)
    except csv.Error as e:
        raise BadInput(f"the header row is not valid CSV: {e}", line=1) from None
    header[0] = "MDSTRUCTURE"
    fixed: dict[str, int] = {}
    columns: list[_Column] = []
    custom: dict[str, int] = {}
    names_col: tuple[int, str] | None = None
    seen: set[str] = set()
    for i, h in enumerate(header):
        h = h.strip()
        key = h.split(": ", 1)[0]
        if key in seen:
            raise BadInput(f"column {h!r} appears twice in the header", line=1, column=i + 1)
        seen.add(key)
        if key in FIXED:
            fixed[key] = i
        elif key in LABEL_COLUMNS:
            continue
        elif key.startswith(NAME_COLUMN + "["):
            names_col = (i, h)
        elif key in (VALID_FROM, VALID_TO):
            custom[key] = i
        else:
            columns.append(_Column(h, i + 1))
    missing = [c for c in REQUIRED if c not in fixed]
    if missing:
        raise BadInput(f"the header lacks the column(s) {', '.join(missing)} that every SDMX-CSV 2.0 metadata "
                       "message has", line=1)
    sets: list[MetadataSet] = []
    line = rows.line_num
    while True:
        start = line + 1
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as e:
            raise BadInput(f"not valid CSV: {e}", line=rows.line_num) from None
        line = rows.line_num
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise BadInput(f"the row has {len(row)} fields; the header has {len(header)}", line=start)
        sets.append(_read_row(row, start, fixed, columns, custom, names_col, sub))
    if not sets:
        raise BadInput("the message holds no metadata set (no row after the header)", line=2)
    return sets


def _read_row(row: list[str], line: int, fixed: dict[str, int], columns: list[_Column], custom: dict[str, int],
              names_col: tuple[int, str] | None, sub: str) -> MetadataSet:
    def cell(name: str) -> str:
        return row[fixed[name]].strip() if name in fixed else ""

    def fail(name: str, message: str) -> BadInput:
        return BadInput(f"{name}: {message}", line=line, column=fixed[name] + 1 if name in fixed else None)

    kind = cell("MDSTRUCTURE")
    if kind != "metadataflow":
        raise fail("MDSTRUCTURE", f"{kind!r}: only metadataflow is accepted"
                   + (" (metadata provision agreements are not supported)" if kind == "metadataprovision" else ""))
    flow = _ref(cell("MDSTRUCTURE_ID"))
    if flow is None or not flow["agency"] or not flow["version"]:
        raise fail("MDSTRUCTURE_ID", f"{cell('MDSTRUCTURE_ID')!r} is not AGENCY:ID(VERSION)")
    flow_urn = (f"urn:sdmx:org.sdmx.infomodel.metadatastructure.Metadataflow="
                f"{flow['agency']}:{flow['id']}({flow['version']})")
    ref = _ref(cell("METADATASET_ID"))
    if ref is None:
        raise fail("METADATASET_ID", f"{cell('METADATASET_ID')!r} is not [AGENCY:]ID[(VERSION)]")
    set_id = ref["id"]
    action = ACTIONS.get(cell("ACTION").upper() or "I")
    if action is None:
        raise fail("ACTION", f"{cell('ACTION')!r}: only I (Information) and R (Replace) are accepted; each "
                   "submission is the next version of the documentation, so Append and Delete do not apply")
    try:
        kinds = [k.strip() for k in split(cell("TARGET_TYPES"), sub)]
        refs = [unquote(r.strip()) for r in split(cell("TARGET_IDS"), sub)]
    except ValueError as e:
        raise fail("TARGET_IDS", str(e)) from None
    if len(kinds) != len(refs):
        raise fail("TARGET_IDS", f"{len(refs)} target(s) for {len(kinds)} target type(s)")
    targets = []
    for k, r in zip(kinds, refs):
        try:
            targets.append((urn_of_csv_target(k, r), _where(line, fixed["TARGET_IDS"] + 1, "TARGET_IDS")))
        except ValueError as e:
            raise fail("TARGET_IDS", str(e)) from None
    dataflow, provider, named = read_targets(set_id, targets)
    values: list[AttributeValue] = []
    for c in columns:
        raw = row[c.number - 1]
        if not raw.strip():
            continue
        where = _where(line, c.number, c.header)
        try:
            if c.langs is not None and c.many:
                values += [AttributeValue(c.path, texts=read_texts(unquote(p), sub), where=where)
                           for p in split(raw, sub) if p.strip()]
            elif c.langs is not None:
                values.append(AttributeValue(c.path, texts=read_texts(raw, sub), where=where))
            elif c.many:
                values += [AttributeValue(c.path, value=unquote(p.strip()), where=where)
                           for p in split(raw, sub) if p.strip()]
            else:
                values.append(AttributeValue(c.path, value=raw.strip(), where=where))
        except ValueError as e:
            raise BadInput(f"{c.header}: {e}", line=line, column=c.number) from None
    names: dict[str, str] = {}
    if names_col is not None and row[names_col[0]].strip():
        try:
            names = read_texts(row[names_col[0]], sub)
        except ValueError as e:
            raise BadInput(f"{names_col[1]}: {e}", line=line, column=names_col[0] + 1) from None
    return MetadataSet(set_id=set_id, metadataflow_urn=flow_urn, dataflow_urn=dataflow, provider_id=provider,
                       names=names, values=tuple(values),
                       valid_from=_time(row, custom, VALID_FROM, line), valid_to=_time(row, custom, VALID_TO, line),
                       extra={"targets": named, "where": f"line {line}"})


def _ref(text: str):
    return _REF.match(text)


def _time(row: list[str], custom: dict[str, int], name: str, line: int) -> datetime | None:
    if name not in custom or not row[custom[name]].strip():
        return None
    value = row[custom[name]].strip()
    try:
        d = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"{name}: {value!r} is not a date-time", line=line, column=custom[name] + 1) from None
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)
