"""Table exports people open in a spreadsheet: CSV for Dutch Excel and XLSX.

Both guard against formula injection (CWE-1236): a text cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is prefixed with an apostrophe, so a name such as
``=HYPERLINK(...)`` typed into Vakwerk stays text in the spreadsheet. Numbers stay numbers.
The CSV uses ``;`` and a byte-order mark, which Dutch Excel opens correctly without an import
wizard (a comma-separated file opens as one column there).
"""

import csv
import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse

Cell = str | int | float | None
RISKY_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(RISKY_START):
        return "'" + value
    return value


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow(["" if c is None else safe_cell(c) for c in row])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(
    filename: str, sheet_title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> HttpResponse:
    import openpyxl  # imported here: only needed for this export, and it is not small

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.append([safe_cell(h) for h in header])
    for row in rows:
        sheet.append([safe_cell(c) for c in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
