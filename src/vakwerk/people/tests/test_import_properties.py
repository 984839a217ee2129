"""Properties of the people import for arbitrary input (hypothesis).

Whatever the bytes or cells, reading raises nothing but ``ImportFileError``; a file with
problems writes nothing and each problem names its row and column; a valid file round-trips:
what is stored is what the file said.
"""

import csv
import io
import string
from datetime import date

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.people import importing
from vakwerk.people.importing import ImportFileError, Table, read_table
from vakwerk.people.models import Employee
from vakwerk.tests.factories import OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
# Each example makes its own organisation, so the test's one transaction is shared safely.
DB_SETTINGS = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

HEADER = ["Personeelsnummer", "Voornaam", "Achternaam", "E-mail", "Functie", "Datum in dienst"]

# Text a spreadsheet can hold: any character but surrogates and control characters.
cell_text = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=12) | st.sampled_from(
    ["", " ", "=1+1", "+31 6", "-", "@SUM(A1)", "31-12-2025", "a@b.nl", "é"]
)


def csv_of(rows, delimiter=";", encoding="utf-8-sig"):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_of(rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def attempt(function, *args, **kwargs):
    """The result and None, or None and the ``ImportFileError`` raised; anything else raised
    fails the test."""
    try:
        return function(*args, **kwargs), None
    except ImportFileError as error:
        return None, error


def import_counts(organisation):
    return (
        Employee.objects.filter(organisation=organisation).count(),
        AuditEvent.objects.filter(organisation=organisation, action="people.import").count(),
    )


@given(
    st.binary(max_size=400)
    | st.builds(lambda tail: b"PK\x03\x04" + tail, st.binary(max_size=200))
    | st.builds(lambda tail: b"\xff\xfe" + tail, st.binary(max_size=200))
    | st.builds(lambda tail: b"\xef\xbb\xbf" + tail, st.binary(max_size=200))
)
def test_arbitrary_bytes_give_a_table_or_a_file_error(data):
    table, error = attempt(read_table, data)
    if error is not None:
        assert str(error.message).strip()
    else:
        assert isinstance(table, Table)
        assert table.headers
        assert all(number > table.header_row for number, _cells in table.rows)


@given(st.lists(st.lists(cell_text, max_size=8), max_size=6), st.sampled_from([";", ",", "\t"]))
def test_arbitrary_text_rows_give_a_table_or_a_file_error(rows, delimiter):
    table, error = attempt(read_table, csv_of(rows, delimiter=delimiter))
    assert isinstance(table, Table) or str(error.message).strip()


@DB_SETTINGS
@given(
    st.lists(st.lists(cell_text, min_size=0, max_size=7), min_size=1, max_size=5),
    st.sampled_from(["csv", "cp1252", "xlsx"]),
)
def test_arbitrary_cells_write_nothing_unless_valid_and_name_row_and_column(rows, kind):
    organisation = OrganisationFactory()
    if kind == "xlsx":
        data = xlsx_of([HEADER, *rows])
    else:
        encoding = "cp1252" if kind == "cp1252" else "utf-8-sig"
        try:
            data = csv_of([HEADER, *rows], encoding=encoding)
        except UnicodeEncodeError:
            data = csv_of([HEADER, *rows])
    before = import_counts(organisation)
    plan, error = attempt(
        importing.people_import_apply, organisation=organisation, actor=Actor(user=None), data=data
    )
    if error is not None:
        assert str(error.message).strip()
        assert import_counts(organisation) == before
        return
    if plan.is_valid:
        assert import_counts(organisation) == (before[0] + len(plan.creates), before[1] + 1)
        return
    assert import_counts(organisation) == before
    for problem in plan.errors:
        assert problem.row >= 1
        # A column, except for the problems of the file as a whole (which name the row).
        assert problem.column in HEADER or problem.code in {"no_rows", "missing_columns"}
        assert problem.expected  # the message renders with its parameters
        assert str(problem).startswith(f"{problem.row}\t{problem.column}\t")


safe_name = (
    st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=40)
    .map(str.strip)
    .filter(bool)
)
employee_number = st.text(string.ascii_letters + string.digits + "-=+@", min_size=1, max_size=30)
person = st.tuples(
    employee_number,
    safe_name,
    safe_name,
    safe_name | st.just(""),
    st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31)),
)


@DB_SETTINGS
@given(
    st.lists(person, min_size=1, max_size=6, unique_by=lambda p: p[0]),
    st.sampled_from(["csv", "xlsx"]),
)
def test_a_valid_file_round_trips(people, kind):
    organisation = OrganisationFactory()
    rows = [
        [
            number,
            first,
            last,
            f"p{i}.o{organisation.pk}@gemeente.nl",
            job,
            start.strftime("%d-%m-%Y"),
        ]
        for i, (number, first, last, job, start) in enumerate(people)
    ]
    data = xlsx_of([HEADER, *rows]) if kind == "xlsx" else csv_of([HEADER, *rows])
    if kind == "xlsx":  # what an XLSX can hold: openpyxl drops nothing else from these names
        rows = [[ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in row] for row in rows]
    plan = importing.people_import_apply(
        organisation=organisation, actor=Actor(user=None), data=data
    )
    assert plan.is_valid, plan.errors
    stored = set(
        Employee.objects.filter(organisation=organisation).values_list(
            "employee_number", "first_name", "last_name", "email", "job_title", "start_date"
        )
    )
    expected = {
        (number, first, last, email, job, start)
        for (number, first, last, email, job, _text), (*_, start) in zip(rows, people, strict=True)
    }
    assert stored == expected


def test_a_cell_longer_than_the_csv_field_limit_names_its_line():
    data = csv_of([HEADER, ["1", "An", "Bos", "a@b.nl", "", ""], ["2", "A" * 200_000]])
    with pytest.raises(ImportFileError, match=r"Line 3 of the CSV file has a cell longer than"):
        read_table(data)


def test_a_sheet_claiming_a_million_rows_is_refused_quickly():
    from vakwerk.tests.hostile import SHEET_START, xlsx

    data = xlsx(
        SHEET_START + '<dimension ref="A1:XFD1048576"/><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
        '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>y</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    with pytest.raises(ImportFileError, match=r"more than 100,000 rows"):
        read_table(data)


def test_too_many_cells_are_refused_naming_the_row(monkeypatch):
    monkeypatch.setattr(importing, "MAX_CELLS", 10)
    data = csv_of([HEADER, ["1", "An", "Bos", "a@b.nl", "", ""]])
    with pytest.raises(ImportFileError, match=r"more than 10 cells \(row 2 goes over\)"):
        read_table(data)
