"""Importing people from CSV and XLSX: reading, checking, a dry-run plan and applying it.

The engine knows nothing of HTTP: the upload views, the background task and the
``import_people`` command all call ``read_table``/``build_plan`` (a dry run, nothing written)
and ``people_import_apply`` (the write, in one transaction, only when the whole file is valid).

Decisions, so the behaviour is predictable for HR:

* **Type and encoding are sniffed, never taken from the file name.** XLSX is a zip holding
  ``xl/workbook.xml``; anything else must decode as text. Text is tried as UTF-8 (with or
  without BOM) and then as cp1252, both strictly; a UTF-16 BOM (Excel's "Unicode text") is
  honoured too. No statistical detector (``charset-normalizer``): UTF-8 is self-validating, so a
  cp1252 file with any accented letter fails the strict UTF-8 decode and falls through to
  cp1252, deterministically; a detector may guess cp1250 or latin-2 for a short file with one
  "é" and is slow on a 5 MB file. The separator (``;``, ``,`` or tab) is the one most
  frequent in the header line.
* **Formulas are text.** XLSX is read with openpyxl in read-only mode without cached values, so
  a cell ``=SUM(A1:A3)`` arrives as that text and is never evaluated. In a name or job title it
  is stored as written (exports escape it); in a date, email or number column it fails the
  check for that column like any other text.
* **A column that is absent leaves that field alone; an empty cell clears it** (a file without a
  team column does not wipe teams; an empty "leidinggevende" removes the manager).
* **Leavers are ended, never deleted, and only when the file says so**: a row whose end date is
  today or earlier ends that person. People of the organisation who are missing from the file
  are *not* ended: HR files are often partial (one department), and silently ending everyone
  else would be a disaster that a preview can easily hide.
* **Matching is on employee number.** An existing person without a number (created by hand or
  by SSO) is matched once on email address and receives the number from the file.
* **Teams and departments are created as needed**; a team named under another department than
  it has in Vakwerk is moved there. A team may stand without a department; a department without
  a team is created, but a person's place is their team.
* **Speed**: 20,000 rows in a few seconds, so no per-row queries: each lookup is one query,
  writes are ``bulk_create``/``bulk_update``, and the per-object ``full_clean()`` of the house
  style is replaced by the engine's own checks of the same rules (lengths, email, dates,
  uniqueness), which it does for the whole file at once.
* **One audit line per apply** ("people.import") with the counts and the employee numbers
  created, updated and ended, each list capped at ``AUDIT_NUMBERS_CAP``: 20,000 audit lines
  would make the import slow and the log unreadable, and the summary line says everything an
  auditor needs to find the people in the employee records.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from vakwerk.audit.services import Actor, audit_log
from vakwerk.frameworks.models import RoleProfile
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Department, Employee, ImportJob, ImportStatus, Team

MAX_BYTES = 5 * 1024 * 1024
# A zip bomb guard: the unpacked parts of an XLSX together may not exceed this.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
# And a guard on what a sheet may hold once read: a tiny XLSX can claim a million rows of
# 16,384 columns (its dimension tag, or one cell on row 1,048,576), which openpyxl fills in.
MAX_ROWS = 100_000
MAX_CELLS = 2_000_000
# Files with more data rows than this are applied by a background task with a progress bar.
TASK_THRESHOLD = 1000
AUDIT_NUMBERS_CAP = 1000
# How many entries of each list a stored plan keeps for the preview page.
PREVIEW_CAP = 500
ERRORS_CAP = 2000
BATCH = 1000
NOT_A_SPREADSHEET = _(
    "This is not a CSV or XLSX file. Save the spreadsheet as .xlsx or as CSV and try again."
)

# Fields, in file order of preference, with the headers that name them (compared after
# lower-casing and dropping everything but letters and digits: "E-mail" == "email").
COLUMNS: dict[str, tuple[str, ...]] = {
    "employee_number": (
        "personeelsnummer",
        "personeelsnr",
        "persnr",
        "medewerkernummer",
        "employeenumber",
        "employeeno",
        "employeeid",
        "staffnumber",
    ),
    "first_name": ("voornaam", "roepnaam", "firstname", "givenname"),
    "prefix": ("tussenvoegsel", "tussenvoegsels", "prefix", "nameprefix"),
    "last_name": ("achternaam", "lastname", "surname", "familyname"),
    "email": ("email", "emailadres", "emailaddress", "mail"),
    "job_title": ("functie", "functienaam", "jobtitle", "title"),
    "department": ("afdeling", "department"),
    "team": ("team", "teamnaam", "teamname"),
    "role_profile": ("functieprofiel", "rolprofiel", "roleprofile"),
    "manager": (
        "leidinggevende",
        "personeelsnummerleidinggevende",
        "manager",
        "managernumber",
        "manageremployeenumber",
    ),
    "start_date": ("datumindienst", "indienst", "startdatum", "startdate"),
    "end_date": ("datumuitdienst", "uitdienst", "einddatum", "enddate"),
}
REQUIRED = ("employee_number", "first_name", "last_name", "email")
# The headers named in the "missing columns" error: Dutch / English, the same in both languages.
CANONICAL = {
    "employee_number": "personeelsnummer / employee number",
    "first_name": "voornaam / first name",
    "last_name": "achternaam / last name",
    "email": "e-mail / email",
}
MAX_LENGTH = {
    "employee_number": 30,
    "first_name": 80,
    "last_name": 120,
    "email": 254,
    "job_title": 120,
    "department": 120,
    "team": 120,
}
_HEADER_TO_FIELD = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}

# What was expected, per error code. Placeholders are filled from RowError.params.
EXPECTED: dict[str, Promise] = {
    "missing_columns": _("the required columns %(columns)s in the first row"),
    "duplicate_column": _("each column only once (this one is also column %(other)s)"),
    "no_rows": _("at least one person below the header row"),
    "required": _("a value: this column is required"),
    "too_long": _("at most %(max)s characters"),
    "email": _("an email address such as name@gemeente.nl"),
    "date": _("a date as dd-mm-yyyy (for example 31-12-2025) or yyyy-mm-dd"),
    "end_before_start": _("an end date on or after the start date (%(start)s)"),
    "duplicate_number": _("an employee number that appears once in the file (also on row %(row)s)"),
    "duplicate_email": _("an email address that appears once in the file (also on row %(row)s)"),
    "email_other_organisation": _("an email address that is not in use in another organisation"),
    "email_in_use": _(
        "an email address not in use by another employee of this organisation "
        "(it belongs to %(number)s)"
    ),
    "role_profile": _("the code or name of a role profile of this organisation"),
    "manager_unknown": _("the employee number of a person in this file or in this organisation"),
    "manager_self": _("the employee number of someone else: nobody is their own manager"),
    "manager_loop": _("managers without a loop (this chain comes back: %(chain)s)"),
    "team_department": _("one department per team (row %(row)s puts this team under %(other)s)"),
}

logger = logging.getLogger(__name__)


class ImportFileError(Exception):
    """The file as a whole cannot be read (too large, not CSV or XLSX, unreadable)."""

    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass
class RowError:
    """One problem: the row as HR sees it in the spreadsheet, the column header, the value and
    what was expected. Stored as JSON (``as_dict``) and translated when shown."""

    row: int
    column: str
    value: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def expected(self) -> str:
        message = str(EXPECTED[self.code])
        return message % self.params if self.params else message

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "code": self.code,
            "params": self.params,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RowError:
        return cls(
            row=data["row"],
            column=data["column"],
            value=data["value"],
            code=data["code"],
            params=data.get("params") or {},
        )

    def __str__(self) -> str:
        return f"{self.row}\t{self.column}\t{self.value}\t{self.expected}"


@dataclass
class Table:
    """The cells of a file as text: the header row and the data rows with their row numbers."""

    headers: list[str]
    header_row: int
    rows: list[tuple[int, list[str]]]


# ---------------------------------------------------------------------------------------------
# Reading


def read_table(data: bytes) -> Table:
    """Sniff the type, decode and split the file into text cells. Raises ``ImportFileError``."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            _("The file is larger than %(max)s MB. Split it into smaller files.")
            % {"max": MAX_BYTES // (1024 * 1024)}
        )
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _("This is an old Excel file (.xls). Save it as .xlsx or as CSV and try again.")
        )
    return _read_csv(_decode(data))


def _decode(data: bytes) -> str:
    text = None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        with contextlib.suppress(UnicodeDecodeError):
            text = data.decode("utf-16")
    elif b"\x00" not in data[:65536]:
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    if text is None:
        raise ImportFileError(NOT_A_SPREADSHEET)
    if "\x00" in text:
        # A binary file that starts like text, or a spreadsheet saved with a stray control
        # character: nothing can store it, so refuse the file instead of its rows one by one.
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ImportFileError(
            _(
                "Line %(line)s of the file contains a NUL character, an invisible control "
                "character that no text needs. Remove it, or save the spreadsheet again as "
                ".xlsx or as CSV, and try again."
            )
            % {"line": line}
        )
    return text


def _sniff_delimiter(text: str) -> str:
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    counts = {delimiter: first_line.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _read_csv(text: str) -> Table:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    try:
        return _table(enumerate(reader, start=1))
    except csv.Error as error:  # in practice only a cell over the csv module's size limit
        raise ImportFileError(
            _(
                "Line %(line)s of the CSV file has a cell longer than %(max)s characters. "
                'Is a quotation mark (") left open?'
            )
            % {
                "line": reader.line_num,
                "max": number_format(csv.field_size_limit(), force_grouping=True),
            }
        ) from error


def _read_xlsx(data: bytes) -> Table:
    import openpyxl  # imported here: only needed for XLSX, and it is not small

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise ImportFileError(_("The XLSX file is damaged and cannot be read.")) from error
    if "xl/workbook.xml" not in names:
        raise ImportFileError(NOT_A_SPREADSHEET)
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError(_("The XLSX file unpacks to too much data. Split it."))
    try:
        # data_only=False: a formula cell gives its formula text, never a computed value.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise ImportFileError(_("The XLSX file is damaged and cannot be read.")) from error
    try:
        sheet = workbook.worksheets[0]
        # The size the sheet claims is not trusted: rows are as wide as their last cell.
        sheet.reset_dimensions()
        rows = (
            (number, [_cell_text(value) for value in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        )
        return _table(rows)  # reads lazily, so the limits in _table stop a huge sheet early
    except ImportFileError:
        raise
    except Exception as error:  # read-only mode parses a sheet only while it is read
        raise ImportFileError(_("The XLSX file is damaged and cannot be read.")) from error
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _table(rows: Iterable[tuple[int, list[str]]]) -> Table:
    """The first non-empty row is the header; blank rows are skipped but keep their number."""
    headers: list[str] | None = None
    header_row = 0
    data: list[tuple[int, list[str]]] = []
    total_cells = 0
    for number, cells in rows:
        total_cells += len(cells)
        if number > MAX_ROWS:
            raise ImportFileError(
                _("The file has more than %(max)s rows. Split it into smaller files.")
                % {"max": number_format(MAX_ROWS, force_grouping=True)}
            )
        if total_cells > MAX_CELLS:
            raise ImportFileError(
                _(
                    "The file has more than %(max)s cells (row %(row)s goes over). Remove empty "
                    "columns or split it into smaller files."
                )
                % {"max": number_format(MAX_CELLS, force_grouping=True), "row": number}
            )
        if not any(cell.strip() for cell in cells):
            continue
        if headers is None:
            headers, header_row = [cell.strip() for cell in cells], number
        else:
            data.append((number, cells))
    if headers is None:
        raise ImportFileError(_("The file is empty."))
    return Table(headers=headers, header_row=header_row, rows=data)


def normalise_header(header: str) -> str:
    return re.sub(r"[^0-9a-z]", "", header.lower())


# ---------------------------------------------------------------------------------------------
# Checking and planning

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")


def parse_date(text: str) -> date | None:
    """dd-mm-jjjj, d-m-jjjj (also with / or .) or ISO yyyy-mm-dd; None when it is none of them."""
    if match := _ISO.match(text):
        year, month, day = match.groups()
    elif match := _DAY_FIRST.match(text):
        day, month, year = match.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


@dataclass
class Person:
    """A checked row: the values the file gives for one person."""

    row: int
    number: str
    first_name: str
    last_name: str
    email: str
    job_title: str = ""
    department: str = ""
    team: str = ""
    role_text: str = ""
    role_profile_id: int | None = None
    manager: str = ""
    start_date: date | None = None
    end_date: date | None = None
    existing_id: int | None = None
    changed: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass
class Plan:
    """What an import will do (a dry run), or the problems that stop it."""

    rows: int = 0
    columns: set[str] = field(default_factory=set)
    errors: list[RowError] = field(default_factory=list)
    creates: list[Person] = field(default_factory=list)
    updates: list[Person] = field(default_factory=list)
    leavers: list[Person] = field(default_factory=list)
    unchanged: int = 0
    departments: list[str] = field(default_factory=list)
    teams: list[tuple[str, str]] = field(default_factory=list)
    teams_moved: list[tuple[str, str]] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def changes(self) -> int:
        return (
            len(self.creates)
            + len(self.updates)
            + len(self.leavers)
            + len(self.departments)
            + len(self.teams)
            + len(self.teams_moved)
        )

    def summary(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "creates": len(self.creates),
            "updates": len(self.updates),
            "leavers": len(self.leavers),
            "unchanged": self.unchanged,
            "departments": len(self.departments),
            "teams": len(self.teams),
            "teams_moved": len(self.teams_moved),
            "errors": len(self.errors),
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON for ``ImportJob.result``: counts and the first entries of each list."""

        def person(p: Person) -> dict[str, Any]:
            return {
                "row": p.row,
                "number": p.number,
                "name": p.name,
                "team": p.team,
                "changed": p.changed,
                "end_date": p.end_date.isoformat() if p.end_date else None,
            }

        return {
            "summary": self.summary(),
            "errors": [error.as_dict() for error in self.errors[:ERRORS_CAP]],
            "creates": [person(p) for p in self.creates[:PREVIEW_CAP]],
            "updates": [person(p) for p in self.updates[:PREVIEW_CAP]],
            "leavers": [person(p) for p in self.leavers[:PREVIEW_CAP]],
            "departments": self.departments[:PREVIEW_CAP],
            "teams": [list(team) for team in self.teams[:PREVIEW_CAP]],
            "teams_moved": [list(team) for team in self.teams_moved[:PREVIEW_CAP]],
        }


class _Checker:
    """Builds a plan for one organisation from one table. Each lookup is one query."""

    def __init__(self, organisation: Organisation, table: Table) -> None:
        self.organisation = organisation
        self.table = table
        self.plan = Plan(rows=len(table.rows))
        self.header: dict[str, str] = {}  # field -> header as written in the file
        self.index: dict[str, int] = {}  # field -> column index

    def error(self, row: int, field_name: str, value: str, code: str, /, **params: Any) -> None:
        column = self.header.get(field_name, CANONICAL.get(field_name, field_name))
        shown = value if len(value) <= 100 else value[:99] + "…"
        self.plan.errors.append(RowError(row, column, shown, code, params))

    def run(self) -> Plan:
        if not self.map_headers():
            return self.plan
        if not self.table.rows:
            self.plan.errors.append(RowError(self.table.header_row + 1, "", "", "no_rows"))
            return self.plan
        people = self.parse_rows()
        self.check_against_database(people)
        self.plan.errors.sort(key=lambda error: error.row)
        return self.plan

    def map_headers(self) -> bool:
        header_row = self.table.header_row
        for position, header in enumerate(self.table.headers):
            name = _HEADER_TO_FIELD.get(normalise_header(header))
            if name is None:
                continue  # extra columns are ignored
            if name in self.index:
                self.plan.errors.append(
                    RowError(
                        header_row,
                        header,
                        header,
                        "duplicate_column",
                        {"other": _column_letter(self.index[name])},
                    )
                )
                continue
            self.index[name] = position
            self.header[name] = header
        missing = [name for name in REQUIRED if name not in self.index]
        if missing:
            columns = ", ".join(CANONICAL[name] for name in missing)
            self.plan.errors.append(
                RowError(header_row, "", "", "missing_columns", {"columns": columns})
            )
        self.plan.columns = set(self.index)
        return not self.plan.errors

    def parse_rows(self) -> list[Person]:
        index = self.index
        has = set(index)
        people: list[Person] = []
        numbers: dict[str, int] = {}
        emails: dict[str, int] = {}
        for row, cells in self.table.rows:
            values = {
                name: (cells[position].strip() if position < len(cells) else "")
                for name, position in index.items()
            }
            for name in REQUIRED:
                if not values[name]:
                    self.error(row, name, "", "required")
            for name, limit in MAX_LENGTH.items():
                if name in has and len(values[name]) > limit:
                    self.error(row, name, values[name], "too_long", max=limit)
            last_name = values["last_name"]
            if values.get("prefix"):
                last_name = f"{values['prefix']} {last_name}"
            email = values["email"]
            if email:
                try:
                    validate_email(email)
                except ValidationError:
                    self.error(row, "email", email, "email")
                    email = ""  # not checked further
            dates: dict[str, date | None] = {}
            for name in ("start_date", "end_date"):
                text = values.get(name, "")
                dates[name] = parse_date(text) if text else None
                if text and dates[name] is None:
                    self.error(row, name, text, "date")
            start, end = dates["start_date"], dates["end_date"]
            if start and end and end < start:
                self.error(
                    row, "end_date", values["end_date"], "end_before_start", start=_dmy(start)
                )
            number = values["employee_number"]
            duplicate = number in numbers
            if number and duplicate:
                self.error(row, "employee_number", number, "duplicate_number", row=numbers[number])
            elif number:
                numbers[number] = row
            if email:
                key = email.lower()
                if key in emails:
                    self.error(row, "email", email, "duplicate_email", row=emails[key])
                else:
                    emails[key] = row
            person = Person(
                row=row,
                number=number,
                first_name=values["first_name"],
                last_name=last_name,
                email=email,
                job_title=values.get("job_title", ""),
                department=values.get("department", ""),
                team=values.get("team", ""),
                role_text=values.get("role_profile", ""),
                manager=values.get("manager", ""),
                start_date=start,
                end_date=end,
            )
            if number and not duplicate:
                # Rows with a problem stay in, so the checks against the database (email in
                # use, managers) still run for them: every problem is listed at once.
                people.append(person)
        return people

    def check_against_database(self, people: list[Person]) -> None:
        organisation = self.organisation
        has = self.plan.columns
        existing = list(
            Employee.objects.filter(organisation=organisation).values_list(
                "id",
                "employee_number",
                "first_name",
                "last_name",
                "email",
                "job_title",
                "team_id",
                "role_profile_id",
                "manager_id",
                "start_date",
                "end_date",
            )
        )
        by_number = {record[1]: record for record in existing if record[1]}
        unnumbered_by_email = {record[4].lower(): record for record in existing if not record[1]}
        email_owner = {record[4].lower(): record for record in existing}
        number_of_id = {record[0]: record[1] for record in existing}

        profiles: dict[str, int] = {}
        if "role_profile" in has:
            for pk, code, name, name_en in RoleProfile.objects.filter(
                organisation=organisation
            ).values_list("id", "code", "name", "name_en"):
                for key in (name_en, name, code):  # code wins over a name that looks like it
                    if key:
                        profiles[key.strip().lower()] = pk

        other_emails = self._emails_in_other_organisations([p.email for p in people if p.email])

        # Match rows to people, check emails and role profiles.
        file_numbers = {p.number: p for p in people if p.number}
        for person in people:
            record = by_number.get(person.number)
            if record is None and person.email.lower() in unnumbered_by_email:
                record = unnumbered_by_email[person.email.lower()]
            person.existing_id = record[0] if record else None
            if person.email:
                owner = email_owner.get(person.email.lower())
                if owner is not None and owner[0] != person.existing_id:
                    self.error(
                        person.row,
                        "email",
                        person.email,
                        "email_in_use",
                        number=owner[1] or f"{owner[2]} {owner[3]}",
                    )
                elif person.email.lower() in other_emails:
                    self.error(person.row, "email", person.email, "email_other_organisation")
            if person.role_text:
                profile_id = profiles.get(person.role_text.lower())
                if profile_id is None:
                    self.error(person.row, "role_profile", person.role_text, "role_profile")
                person.role_profile_id = profile_id

        self._check_managers(people, file_numbers, by_number, number_of_id)
        self._plan_teams(people)
        if self.plan.errors:
            return
        self._plan_people(people, by_number, unnumbered_by_email, number_of_id)

    def _emails_in_other_organisations(self, emails: list[str]) -> set[str]:
        wanted = sorted({email.lower() for email in emails})
        found: set[str] = set()
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            found.update(
                Employee.objects.exclude(organisation=self.organisation)
                .annotate(email_lower=Lower("email"))
                .filter(email_lower__in=chunk)
                .values_list("email_lower", flat=True)
            )
        return found

    def _check_managers(
        self,
        people: list[Person],
        file_numbers: dict[str, Person],
        by_number: dict[str, tuple[Any, ...]],
        number_of_id: dict[int, str],
    ) -> None:
        has_manager_column = "manager" in self.plan.columns
        # The manager graph after the import: file rows as the file says (or as they are, when
        # the file has no manager column), everyone else as they are now.
        graph: dict[str, str] = {}
        for number, record in by_number.items():
            manager_number = number_of_id.get(record[8]) if record[8] else None
            if manager_number:
                graph[number] = manager_number
        for person in people:
            if not person.number:
                continue
            if has_manager_column:
                graph.pop(person.number, None)
                if not person.manager:
                    continue
                if person.manager == person.number:
                    self.error(person.row, "manager", person.manager, "manager_self")
                    continue
                if person.manager not in file_numbers and person.manager not in by_number:
                    self.error(person.row, "manager", person.manager, "manager_unknown")
                    continue
                graph[person.number] = person.manager
        # Loops: follow each chain once; a node met again on the same walk closes a loop.
        state: dict[str, int] = {}
        for start in file_numbers:
            path: list[str] = []
            position: dict[str, int] = {}
            node: str | None = start
            while node is not None and node not in state:
                state[node] = 1
                position[node] = len(path)
                path.append(node)
                node = graph.get(node)
            if node is not None and node in position:
                loop = path[position[node] :]
                for i, member in enumerate(loop):
                    in_file = file_numbers.get(member)
                    if in_file is None:
                        continue
                    turn = loop[i:] + loop[:i]
                    chain = " → ".join([*turn, member])
                    column = "manager" if has_manager_column else "employee_number"
                    value = in_file.manager if has_manager_column else in_file.number
                    self.error(in_file.row, column, value, "manager_loop", chain=chain)
            for member in path:
                state[member] = 2

    def _plan_teams(self, people: list[Person]) -> None:
        organisation = self.organisation
        departments = {
            name.lower(): (pk, name)
            for pk, name in Department.objects.filter(organisation=organisation).values_list(
                "id", "name"
            )
        }
        teams = {
            name.lower(): (pk, name, department_id)
            for pk, name, department_id in Team.objects.filter(
                organisation=organisation
            ).values_list("id", "name", "department_id")
        }
        department_names = dict(departments.values())
        new_departments: dict[str, str] = {}
        team_department: dict[str, tuple[str, int]] = {}  # team -> (department, row)
        new_teams: dict[str, str] = {}
        for person in people:
            department = person.department
            if department:
                key = department.lower()
                if key in departments:
                    person.department = departments[key][1]
                elif key in new_departments:
                    person.department = new_departments[key]
                else:
                    new_departments[key] = department
            if not person.team:
                continue
            key = person.team.lower()
            if key in teams:
                person.team = teams[key][1]
            elif key in new_teams:
                person.team = new_teams[key]
            else:
                new_teams[key] = person.team
            if person.department:
                earlier = team_department.get(key)
                if earlier is None:
                    team_department[key] = (person.department, person.row)
                elif earlier[0] != person.department:
                    self.error(
                        person.row,
                        "department",
                        person.department,
                        "team_department",
                        row=earlier[1],
                        other=earlier[0],
                    )
        plan = self.plan
        plan.departments = list(new_departments.values())
        plan.teams = [
            (name, team_department.get(key, ("", 0))[0]) for key, name in new_teams.items()
        ]
        for key, (_pk, name, department_id) in teams.items():
            wanted = team_department.get(key)
            if wanted and department_names.get(department_id or 0) != wanted[0]:
                plan.teams_moved.append((name, wanted[0]))

    def _plan_people(
        self,
        people: list[Person],
        by_number: dict[str, tuple[Any, ...]],
        unnumbered_by_email: dict[str, tuple[Any, ...]],
        number_of_id: dict[int, str],
    ) -> None:
        has = self.plan.columns
        today = timezone.localdate()
        team_names = dict(
            Team.objects.filter(organisation=self.organisation).values_list("id", "name")
        )
        for person in people:
            if person.existing_id is None:
                self.plan.creates.append(person)
                continue
            record = by_number.get(person.number) or unnumbered_by_email[person.email.lower()]
            (
                _pk,
                number,
                first_name,
                last_name,
                email,
                job_title,
                team_id,
                role_profile_id,
                manager_id,
                start_date,
                end_date,
            ) = record
            changed = []
            if number != person.number:
                changed.append("employee_number")
            if first_name != person.first_name:
                changed.append("first_name")
            if last_name != person.last_name:
                changed.append("last_name")
            if email != person.email:
                changed.append("email")
            if "job_title" in has and job_title != person.job_title:
                changed.append("job_title")
            if "team" in has and team_names.get(team_id or 0, "") != person.team:
                changed.append("team")
            if "role_profile" in has and role_profile_id != person.role_profile_id:
                changed.append("role_profile")
            if "manager" in has and number_of_id.get(manager_id or 0, "") != person.manager:
                changed.append("manager")
            if "start_date" in has and start_date != person.start_date:
                changed.append("start_date")
            if "end_date" in has and end_date != person.end_date:
                changed.append("end_date")
            person.changed = changed
            if not changed:
                self.plan.unchanged += 1
            elif (
                "end_date" in changed
                and person.end_date is not None
                and person.end_date <= today
                and (end_date is None or end_date > today)
            ):
                self.plan.leavers.append(person)
            else:
                self.plan.updates.append(person)


def _levels(people: list[Person]) -> list[list[Person]]:
    """New people grouped so that everyone's manager is in an earlier group or already exists.

    The plan has no manager loops (they are errors), so every chain ends.
    """
    by_number = {person.number: person for person in people}
    depth: dict[str, int] = {}
    for person in people:
        chain: list[str] = []
        node = person.number
        while node in by_number and node not in depth:
            chain.append(node)
            node = by_number[node].manager
        level = depth.get(node, -1)
        for number in reversed(chain):
            level += 1
            depth[number] = level
    levels: list[list[Person]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for person in people:
        levels[depth[person.number]].append(person)
    return levels


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _dmy(value: date) -> str:
    return value.strftime("%d-%m-%Y")


def build_plan(*, organisation: Organisation, table: Table) -> Plan:
    """The dry run: check the whole table and say what applying it would do. Writes nothing."""
    return _Checker(organisation, table).run()


# ---------------------------------------------------------------------------------------------
# Applying


@transaction.atomic
def people_import_apply(
    *,
    organisation: Organisation,
    actor: Actor,
    data: bytes,
    file_name: str = "",
) -> Plan:
    """Check the file again and, only when every row is valid, apply it in this transaction.

    Returns the plan; when it has errors nothing was written. Managers are set after all
    people exist, so a manager may appear below their reports in the file.
    """
    # One import at a time per organisation (SQLite serialises writers anyway).
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    plan = build_plan(organisation=organisation, table=read_table(data))
    if not plan.is_valid:
        return plan

    Department.objects.bulk_create(
        [Department(organisation=organisation, name=name) for name in plan.departments],
        batch_size=BATCH,
    )
    department_ids = {
        name.lower(): pk
        for pk, name in Department.objects.filter(organisation=organisation).values_list(
            "id", "name"
        )
    }
    Team.objects.bulk_create(
        [
            Team(
                organisation=organisation,
                name=name,
                department_id=department_ids.get(department.lower()) if department else None,
            )
            for name, department in plan.teams
        ],
        batch_size=BATCH,
    )
    team_ids = {
        name.lower(): pk
        for pk, name in Team.objects.filter(organisation=organisation).values_list("id", "name")
    }
    if plan.teams_moved:
        Team.objects.bulk_update(
            [
                Team(pk=team_ids[name.lower()], department_id=department_ids[department.lower()])
                for name, department in plan.teams_moved
            ],
            ["department"],
            batch_size=BATCH,
        )

    def team_id(person: Person) -> int | None:
        return team_ids[person.team.lower()] if person.team else None

    changed_people = plan.updates + plan.leavers
    fields = sorted({name for person in changed_people for name in person.changed} - {"manager"})
    if fields:
        Employee.objects.bulk_update(
            [
                Employee(
                    pk=person.existing_id,
                    employee_number=person.number,
                    first_name=person.first_name,
                    last_name=person.last_name,
                    email=person.email,
                    job_title=person.job_title,
                    team_id=team_id(person),
                    role_profile_id=person.role_profile_id,
                    start_date=person.start_date,
                    end_date=person.end_date,
                )
                for person in changed_people
            ],
            fields,
            batch_size=BATCH,
        )

    ids = dict(
        Employee.objects.filter(organisation=organisation)
        .exclude(employee_number="")
        .values_list("employee_number", "id")
    )
    # New people are inserted managers first, level by level, so each INSERT carries the
    # manager's id: 20,000 manager links in a bulk_update afterwards would double the time.
    # That needs the new ids back from the INSERT (PostgreSQL; SQLite 3.35 and later).
    returns_ids = connection.features.can_return_rows_from_bulk_insert
    for level in _levels(plan.creates) if returns_ids else [plan.creates]:
        inserted = Employee.objects.bulk_create(
            [
                Employee(
                    organisation=organisation,
                    employee_number=person.number,
                    first_name=person.first_name,
                    last_name=person.last_name,
                    email=person.email,
                    job_title=person.job_title,
                    team_id=team_id(person),
                    role_profile_id=person.role_profile_id,
                    manager_id=ids[person.manager] if returns_ids and person.manager else None,
                    start_date=person.start_date,
                    end_date=person.end_date,
                )
                for person in level
            ],
            batch_size=BATCH,
        )
        if returns_ids:
            ids.update((employee.employee_number, employee.pk) for employee in inserted)
    if not returns_ids:
        ids = dict(
            Employee.objects.filter(organisation=organisation)
            .exclude(employee_number="")
            .values_list("employee_number", "id")
        )

    with_manager = [
        Employee(pk=ids[person.number], manager_id=ids[person.manager] if person.manager else None)
        for person in (changed_people if returns_ids else plan.creates + changed_people)
        if "manager" in person.changed or (person.existing_id is None and person.manager)
    ]
    Employee.objects.bulk_update(with_manager, ["manager"], batch_size=BATCH)

    summary = plan.summary()
    created = [p.number for p in plan.creates]
    updated = [p.number for p in plan.updates]
    ended = [p.number for p in plan.leavers]
    audit_log(
        organisation=organisation,
        actor=actor,
        action="people.import",
        details={
            "file": file_name,
            **{key: value for key, value in summary.items() if key != "errors"},
            "created_numbers": created[:AUDIT_NUMBERS_CAP],
            "updated_numbers": updated[:AUDIT_NUMBERS_CAP],
            "ended_numbers": ended[:AUDIT_NUMBERS_CAP],
            "numbers_capped_at": AUDIT_NUMBERS_CAP,
            "numbers_truncated": max(len(created), len(updated), len(ended)) > AUDIT_NUMBERS_CAP,
        },
    )
    return plan


def people_import_dry_run(*, organisation: Organisation, data: bytes) -> Plan:
    """Read and check a file and return its plan, writing nothing. Raises ``ImportFileError``."""
    return build_plan(organisation=organisation, table=read_table(data))


# ---------------------------------------------------------------------------------------------
# Import jobs: an upload with its plan, applied at once or by a background task


def import_job_create(
    *, organisation: Organisation, actor: Actor, file_name: str, data: bytes
) -> ImportJob:
    """Check an upload and store it with its dry-run plan. Raises ``ImportFileError``.

    The bytes are kept only for a valid file, until it is applied.
    """
    plan = people_import_dry_run(organisation=organisation, data=data)
    return ImportJob.objects.create(
        organisation=organisation,
        uploaded_by=actor.user,
        file_name=file_name[:255],
        data=data if plan.is_valid else b"",
        rows=plan.rows,
        status=ImportStatus.CHECKED if plan.is_valid else ImportStatus.INVALID,
        result=plan.as_dict(),
    )


def import_job_start(*, job: ImportJob, actor: Actor) -> ImportJob:
    """Apply a checked job: at once for a small file, as a task for a large one.

    Starting twice does nothing the second time (the status is claimed in one UPDATE). Not
    atomic itself: ``import_job_run`` commits its progress, and the task is enqueued only once
    the claim is committed (``transaction.on_commit``).
    """
    claimed = ImportJob.objects.filter(
        pk=job.pk, organisation=job.organisation, status=ImportStatus.CHECKED
    ).update(status=ImportStatus.QUEUED, applied_by=actor.user, progress=0)
    if claimed and job.rows > TASK_THRESHOLD:
        from vakwerk.people.tasks import apply_people_import

        job_id = job.pk
        transaction.on_commit(lambda: apply_people_import.enqueue(job_id))
    elif claimed:
        try:
            import_job_run(job_id=job.pk, origin=actor.origin)
        except Exception:
            # The job is marked failed (the job page says so) and nothing was written;
            # the person who pressed apply sees that page rather than an error page.
            logger.exception("People import %s failed", job.pk)
    job.refresh_from_db()
    return job


def import_job_run(*, job_id: int, origin: str | None = None) -> None:
    """Run a queued job: check again (progress visible), then apply in one transaction.

    Not atomic itself: the progress must be committed to be seen while the import runs.
    """
    started = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, progress=10
    )
    if not started:
        return  # already run, or never started: a task delivered twice does nothing
    job = ImportJob.objects.select_related("organisation", "applied_by").get(pk=job_id)
    data = bytes(job.data)
    try:
        plan = people_import_dry_run(organisation=job.organisation, data=data)
        if plan.is_valid:
            ImportJob.objects.filter(pk=job_id).update(progress=40)
            actor = Actor(user=job.applied_by, origin=origin)
            plan = people_import_apply(
                organisation=job.organisation, actor=actor, data=data, file_name=job.file_name
            )
    except Exception:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED, progress=100, finished_at=timezone.now(), data=b""
        )
        raise
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportStatus.DONE if plan.is_valid else ImportStatus.INVALID,
        progress=100,
        finished_at=timezone.now(),
        result=plan.as_dict(),
        data=b"",
    )
