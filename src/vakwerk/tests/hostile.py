"""A corpus of malformed and malicious people files, generated (nothing binary is committed).

Each entry is a file as HR might upload it: its name, its bytes and what must happen. A
``rejected`` entry names the English text of the message that says what is wrong; an
``accepted`` entry names the people (number, first name, last name) the file must give,
exactly, so wrong decoding or an evaluated formula shows.

Write the corpus to a directory to try it by hand: ``python -m vakwerk.tests.hostile DIR``.
"""

import io
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

HEADER = ["Personeelsnummer", "Voornaam", "Achternaam", "E-mail", "Functie"]
NAMES = [("1", "Zoë", "Brûlé"), ("2", "Çelik", "Øyen"), ("3", "Anaïs", "Ĳsselmuiden")]
CP1252_NAMES = [("1", "Zoë", "Brûlé"), ("2", "Çelik", "Müller"), ("3", "Anaïs", "Dœns")]

NOT_A_SPREADSHEET = "This is not a CSV or XLSX file"
DAMAGED = "The XLSX file is damaged and cannot be read."


@dataclass
class Hostile:
    name: str
    data: bytes
    rejected: str = ""  # the English message (or part of it) that must be shown
    accepted: list[tuple[str, str, str]] = field(default_factory=list)
    column: str = ""  # for a row problem: the column the message must name


def csv_text(rows: list[list[str]], newline: str = "\r\n") -> str:
    return "".join(";".join(row) + newline for row in rows)


def people_rows(names: list[tuple[str, str, str]]) -> list[list[str]]:
    return [
        [number, first, last, f"p{number}@gemeente.nl", "Adviseur"] for number, first, last in names
    ]


# XLSX by hand: the smallest package openpyxl reads, so the sheet XML can be anything.
CONTENT_TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
    'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
    'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
    'worksheet+xml"/></Types>'
)
RELS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
    '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Mensen" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
SHEET_START = (
    '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
    '2006/main">'
)


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sheet_rows(rows: list[list[str]], formulas: bool = False) -> str:
    """``<row>`` elements; with ``formulas`` a cell starting with = is a formula cell."""
    out = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{chr(65 + c)}{r}"
            if formulas and value.startswith("="):
                cells.append(f'<c r="{ref}"><f>{_xml_escape(value[1:])}</f><v>2</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{_xml_escape(value)}</t></is></c>')
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    return "".join(out)


def xlsx(sheet_xml: str | None = None, *, sheet_chunks: int = 0) -> bytes:
    """A workbook whose first sheet is ``sheet_xml``, or, with ``sheet_chunks``, a sheet of that
    many MB of blank rows streamed into the zip (a zip bomb: a small file, a huge sheet)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        if sheet_chunks:
            chunk = b"<row/>" * (1024 * 1024 // 6)
            with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
                sheet.write((SHEET_START + "<sheetData>").encode())
                for _ in range(sheet_chunks):
                    sheet.write(chunk)
                sheet.write(b"</sheetData></worksheet>")
        else:
            archive.writestr("xl/worksheets/sheet1.xml", sheet_xml or "")
    return buffer.getvalue()


def png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def corpus() -> list[Hostile]:
    good = [HEADER, *people_rows(NAMES)]
    formulas = [
        ("1", '=HYPERLINK("http://x.example","klik")', "+31612345678"),
        ("2", "-2+3", "@SUM(A1:A3)"),
    ]
    billion_laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lollollollollollollollollollol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
            for i in range(1, 10)
        )
        + "]>"
        + SHEET_START[len('<?xml version="1.0"?>') :]
        + '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        + "</sheetData></worksheet>"
    )
    return [
        Hostile("utf16.csv", csv_text(good).encode("utf-16"), accepted=NAMES),
        Hostile("utf16-without-bom.csv", csv_text(good).encode("utf-16-le"), NOT_A_SPREADSHEET),
        Hostile(
            "windows-1252.csv",
            csv_text([HEADER, *people_rows(CP1252_NAMES)]).encode("cp1252"),
            accepted=CP1252_NAMES,
        ),
        Hostile(
            "ten-megabyte-cell.csv",
            csv_text([HEADER, ["1", "A" * (10 * 1024 * 1024), "B", "a@b.nl", ""]]).encode(),
            "The file is larger than 5 MB",
        ),
        Hostile("only-a-bom.csv", b"\xef\xbb\xbf", "The file is empty."),
        Hostile("empty.csv", b"", "The submitted file is empty."),
        Hostile(
            "formula-injection.csv",
            csv_text([HEADER, *people_rows(formulas)]).encode("utf-8-sig"),
            accepted=formulas,
        ),
        Hostile(
            "formula-in-email.csv",
            csv_text([HEADER, ["1", "An", "Bos", '=HYPERLINK("x")', ""]]).encode(),
            "an email address such as name@gemeente.nl",
            column="E-mail",
        ),
        Hostile(
            "zip-bomb.xlsx",
            xlsx(sheet_chunks=150),
            "The XLSX file unpacks to too much data.",
        ),
        Hostile(
            "million-rows.xlsx",
            xlsx(
                SHEET_START + '<dimension ref="A1:XFD1048576"/><sheetData>'
                '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
                '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>y</t></is></c></row>'
                "</sheetData></worksheet>"
            ),
            "The file has more than 100,000 rows.",
        ),
        Hostile("billion-laughs.xlsx", xlsx(billion_laughs), DAMAGED),
        Hostile("really-a-csv.xlsx", csv_text(good).encode(), accepted=NAMES),
        Hostile("really-a-png.xlsx", png(), NOT_A_SPREADSHEET),
        Hostile("old-excel.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, ".xls"),
        Hostile(
            "formulas.xlsx",
            xlsx(
                SHEET_START
                + "<sheetData>"
                + sheet_rows(
                    [HEADER, ["1", "=1+1", "=A1&A1", "p1@gemeente.nl", "=SUM(1,2)"]],
                    formulas=True,
                )
                + "</sheetData></worksheet>"
            ),
            accepted=[("1", "=1+1", "=A1&A1")],
        ),
        Hostile(
            "formula-in-a-date.xlsx",
            xlsx(
                SHEET_START
                + "<sheetData>"
                + sheet_rows(
                    [
                        [*HEADER, "Datum in dienst"],
                        ["1", "An", "Bos", "p1@gemeente.nl", "", "=TODAY()"],
                    ],
                    formulas=True,
                )
                + "</sheetData></worksheet>"
            ),
            "a date as dd-mm-yyyy",
            column="Datum in dienst",
        ),
        Hostile("damaged.xlsx", xlsx(SHEET_START + "<sheetData><row"), DAMAGED),
        Hostile(
            "nul-bytes.csv",
            csv_text([HEADER, ["1", "A\x00n", "Bos", "a@b.nl", ""]]).encode(),
            NOT_A_SPREADSHEET,
        ),
        Hostile(
            "very-long-line.csv",
            csv_text([HEADER, ["1", "A" * 2_000_000, "Bos", "a@b.nl", ""]]).encode(),
            "Line 2 of the CSV file has a cell longer than 131,072 characters.",
        ),
        Hostile(
            "mixed-line-endings.csv",
            (
                ";".join(HEADER)
                + "\r\n"
                + "\n".join(";".join(row) for row in people_rows(NAMES[:2]))
                + "\r"
                + ";".join(people_rows(NAMES[2:])[0])
                + "\r\n"
            ).encode(),
            accepted=NAMES,
        ),
        Hostile(
            "unclosed-quote.csv",
            (csv_text([HEADER]) + '1;"An;Bos;a@b.nl;\r\n').encode(),
            "a value: this column is required",
            column="Achternaam",
        ),
    ]


def main(argv: list[str]) -> None:
    directory = Path(argv[0])
    directory.mkdir(parents=True, exist_ok=True)
    for hostile in corpus():
        (directory / hostile.name).write_bytes(hostile.data)


if __name__ == "__main__":
    main(sys.argv[1:])
