"""Read a filled-in Excel documentation workbook (see ``excel_documentation_template``) as one metadata set.

The same limits as the data workbook: the body is spooled, a zip whose parts would inflate beyond
``max_inflate_ratio`` times its size is refused before anything is inflated, a cell longer than
``max_token`` is a 413, and so is a sheet with more than MAX_ROWS rows. Each value keeps where it was
found ("sheet Documentation, cell D7"), so every error the checks find names its cell.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from xml.etree import ElementTree

from lxml import etree
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from ..errors import BadInput, TooLarge
from ..metadata_set import AttributeValue, MetadataSet
from .excel_data_reader import _DAMAGED_ZIP, _text
from .excel_documentation_template import FIRST_ROW, SHEET, TARGET_KEYS, TARGET_SHEET
from .input_limits import MAX_INFLATE_RATIO, MAX_TOKEN, inflate_error, inflates_too_much, token_too_long

MAX_ROWS = 5000  # a questionnaire of a few dozen questions; more rows than this is not one
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def read_documentation_workbook(body: bytes, *, max_token: int = MAX_TOKEN,
                                max_inflate_ratio: int = MAX_INFLATE_RATIO) -> list[MetadataSet]:
    with tempfile.SpooledTemporaryFile(max_size=8 << 20) as spool:
        spool.write(body)
        spool.seek(0)
        try:
            with zipfile.ZipFile(spool) as z:
                inflated = sum(i.file_size for i in z.infolist())
            if inflates_too_much(inflated, len(body), max_inflate_ratio):
                raise inflate_error(f"the workbook's parts ({inflated} bytes inflated)", max_inflate_ratio)
            spool.seek(0)
            wb = load_workbook(spool, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, *_DAMAGED_ZIP) as e:
            raise BadInput(f"the upload is not an Excel workbook (.xlsx): {e}") from None
        try:
            return [_read(wb, max_token)]
        except (ElementTree.ParseError, etree.XMLSyntaxError) as e:
            raise BadInput(f"the Excel workbook (.xlsx) is damaged: its XML is not well-formed ({e})") from None
        except _DAMAGED_ZIP as e:
            raise BadInput(f"the Excel workbook (.xlsx) is damaged: a part does not inflate ({e})") from None
        finally:
            wb.close()


def _cell(value: object, where: str, max_token: int, coded: bool = False) -> str:
    s = _text(value, coded)
    if len(s) > max_token:
        raise token_too_long(where, max_token)
    return s


def _read(wb, max_token: int) -> MetadataSet:
    for name in (TARGET_SHEET, SHEET):
        if name not in wb.sheetnames:
            raise BadInput(f"the workbook has no sheet {name!r}; download the documentation template of this "
                           f"indicator and fill that in (sheets found: {', '.join(wb.sheetnames)})")
    target: dict[str, str] = {}
    for r, row in enumerate(wb[TARGET_SHEET].iter_rows(max_col=2, values_only=True), start=1):
        if r > 100:
            break
        key = _cell(row[0] if row else None, f"sheet {TARGET_SHEET}, cell A{r}", 200)
        if key:
            target[key] = _cell(row[1] if len(row) > 1 else None, f"sheet {TARGET_SHEET}, cell B{r}", max_token,
                                coded=False)
    missing = [k for k in TARGET_KEYS if not target.get(k)]
    if missing:
        raise BadInput(f"sheet {TARGET_SHEET}: {', '.join(missing)} missing; keep the sheet as the template has it "
                       f"(it says what the workbook documents)")
    rows = wb[SHEET].iter_rows(values_only=True)
    header = [_cell(v, f"sheet {SHEET}, row 1", 200) for v in next(rows, ())]
    if "ATTRIBUTE" not in header or "VALUE" not in header:
        raise BadInput(f"sheet {SHEET}, row 1: the columns ATTRIBUTE and VALUE are missing; keep the header row "
                       f"of the template")
    at, val = header.index("ATTRIBUTE"), header.index("VALUE")
    langs = [(i, h) for i, h in enumerate(header) if LANGUAGE.match(h)]
    next(rows, None)  # row 2: labels
    values: list[AttributeValue] = []
    for r, row in enumerate(rows, start=FIRST_ROW):
        if r >= MAX_ROWS + FIRST_ROW:
            raise TooLarge(f"sheet {SHEET} has more than {MAX_ROWS} rows of answers; a documentation template has "
                           f"one row per answer")
        cells = list(row) + [None] * (len(header) - len(row))
        value = _cell(cells[val], f"sheet {SHEET}, cell {get_column_letter(val + 1)}{r}", max_token, coded=True)
        texts = {lang: t for i, lang in langs
                 if (t := _cell(cells[i], f"sheet {SHEET}, cell {get_column_letter(i + 1)}{r}", max_token,
                                coded=False))}
        if not value and not texts:
            continue  # a question left unanswered (or a blank row)
        attribute = _cell(cells[at], f"sheet {SHEET}, cell {get_column_letter(at + 1)}{r}", 600)
        first = val if value else next(i for i, lang in langs if lang in texts)
        where = f"sheet {SHEET}, cell {get_column_letter(first + 1)}{r}" if attribute else \
            f"sheet {SHEET}, cell {get_column_letter(at + 1)}{r}"
        values.append(AttributeValue(attribute or "(empty)", value or None, texts or None, where))
    names = {k.split(":", 1)[1]: v for k, v in target.items() if k.startswith("NAME:") and v}
    s = MetadataSet(set_id=target["SET_ID"], metadataflow_urn=target["METADATAFLOW"], dataflow_urn=target["DATAFLOW"],
                    provider_id=target["PROVIDER"], names=names or {"en": target["SET_ID"]}, values=tuple(values))
    s.extra["where"] = f"sheet {SHEET}"
    return s
