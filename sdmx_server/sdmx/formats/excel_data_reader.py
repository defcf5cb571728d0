"""Read a filled-in Excel template (see ``excel_template``) as data events, row by row.

openpyxl's read-only mode streams the sheet; an .xlsx is a zip, so the body is spooled to a
temporary file first (memory stays small, disk takes the message).
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
import zlib
from datetime import date, datetime
from typing import BinaryIO, Iterator

from xml.etree import ElementTree

from lxml import etree
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from ..data_structure import DataStructureInfo
from ..errors import BadInput, SemanticError
from .data_events import DataEvent, DataSetStart, KeyAttributes, Observation
from .excel_template import DATA_SHEET, FIRST_DATA_ROW
from .input_limits import MAX_INFLATE_RATIO, MAX_TOKEN, inflate_error, inflates_too_much, token_too_long


def _text(value: object, coded: bool = True) -> str:
    """A cell as the string SDMX expects: codes before ': ' (coded columns only: a comment may hold
    ': ' too), whole numbers without '.0', dates ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    s = str(value).strip()
    if not coded:
        return s
    code, sep, _name = s.partition(": ")
    return code if sep else s


# what zipfile raises for a part whose compressed bytes are damaged or of an unknown method
_DAMAGED_ZIP = (zlib.error, EOFError, NotImplementedError)


def read_data(stream: BinaryIO, structure: DataStructureInfo, *, max_token: int = MAX_TOKEN,
              max_inflate_ratio: int = MAX_INFLATE_RATIO) -> Iterator[DataEvent]:
    """Events of the workbook's Data sheet. A zip whose parts would inflate beyond ``max_inflate_ratio``
    times its size (a zip bomb) is refused before anything is inflated; a cell longer than ``max_token``."""
    with tempfile.SpooledTemporaryFile(max_size=8 << 20) as spool:
        shutil.copyfileobj(stream, spool)
        size = spool.tell()
        spool.seek(0)
        try:
            with zipfile.ZipFile(spool) as z:  # the directory's sizes bound what zipfile will inflate
                inflated = sum(i.file_size for i in z.infolist())
            if inflates_too_much(inflated, size, max_inflate_ratio):
                raise inflate_error(f"the workbook's parts ({inflated} bytes inflated)", max_inflate_ratio)
            spool.seek(0)
            wb = load_workbook(spool, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, *_DAMAGED_ZIP) as e:
            raise BadInput(f"the upload is not an Excel workbook (.xlsx): {e}") from None
        try:
            for event in _read(wb, structure):
                if isinstance(event, Observation):
                    _bound_cells(event, max_token)
                yield event
        except (ElementTree.ParseError, etree.XMLSyntaxError) as e:  # openpyxl parses a sheet as it is read
            raise BadInput(f"the Excel workbook (.xlsx) is damaged: its XML is not well-formed ({e})") from None
        except _DAMAGED_ZIP as e:  # and inflates it as it is read
            raise BadInput(f"the Excel workbook (.xlsx) is damaged: a part does not inflate ({e})") from None
        finally:
            wb.close()


def _bound_cells(obs: Observation, max_token: int) -> None:
    for values in (obs.measures, obs.attributes):
        for cid, value in values.items():
            if len(value) > max_token:
                raise token_too_long(f"{(obs.cells or {}).get(cid, obs.where)}", max_token)


def _read(wb, structure: DataStructureInfo) -> Iterator[DataEvent]:
    if DATA_SHEET not in wb.sheetnames:
        raise BadInput(f"the workbook has no sheet {DATA_SHEET!r}; download the template for this dataflow "
                       f"and fill that in (sheets found: {', '.join(wb.sheetnames)})")
    sheet = wb[DATA_SHEET]
    rows = sheet.iter_rows(values_only=True)
    header = [_text(v) for v in next(rows, ())]
    missing = [c for c in structure.key_ids if c not in header]
    if missing:
        raise SemanticError(f"sheet {DATA_SHEET}, row 1: the column(s) {', '.join(missing)} are missing; "
                            "keep the header row of the template")
    known = {c.id for c in structure.dimensions + structure.attributes + structure.measures} | set(structure.key_ids)
    for i, cid in enumerate(header):
        if cid and cid not in known:
            raise BadInput(f"sheet {DATA_SHEET}, cell {get_column_letter(i + 1)}1: {cid!r} is not a component "
                           f"of {structure.urn}")
    keys = set(structure.key_ids)
    measures = {m.id for m in structure.measures}
    level = {a.id: a.attachment for a in structure.attributes}
    letters = [get_column_letter(i + 1) for i in range(len(header))]
    coded = {c.id for c in structure.dimensions + structure.attributes + structure.measures if c.codelist}
    yield DataSetStart(action="Merge", where=f"sheet {DATA_SHEET}")
    next(rows, None)  # row 2: names
    for r, row in enumerate(rows, start=FIRST_DATA_ROW):
        values = {cid: _text(v, cid in coded) for cid, v in zip(header, row) if cid}
        if not any(values.values()):
            continue
        cells = {cid: f"sheet {DATA_SHEET}, cell {letters[i]}{r}" for i, cid in enumerate(header) if cid}
        where = f"sheet {DATA_SHEET}, row {r}"
        key = {c: values.get(c, "") for c in structure.key_ids}
        series_attrs = {c: v for c, v in values.items() if v and level.get(c) in ("series", "group", "dataset")}
        if series_attrs:
            # one event for the row (a replacing submission sets them together); a mistake in the usual
            # single series attribute is named by its cell, else by the row
            at = cells[next(iter(series_attrs))] if len(series_attrs) == 1 else where
            yield KeyAttributes({d: key[d] for d in structure.dimension_ids}, series_attrs, "series", at)
        yield Observation(key, {c: v for c, v in values.items() if c in measures and v},
                          {c: v for c, v in values.items() if c not in keys and c not in measures and v
                           and level.get(c) == "observation"}, where, cells=cells)
