"""The people import: reading, every check with its row and column, dry run, apply, jobs, views."""

import io
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.frameworks.models import RoleProfile
from vakwerk.organisations.models import Role
from vakwerk.people import importing
from vakwerk.people.importing import ImportFileError, build_plan, parse_date, read_table
from vakwerk.people.models import Department, Employee, ImportJob, ImportStatus, Team
from vakwerk.tests.factories import EmployeeFactory, TeamFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEADER = [
    "Personeelsnummer",
    "Voornaam",
    "Tussenvoegsel",
    "Achternaam",
    "E-mail",
    "Functie",
    "Afdeling",
    "Team",
    "Functieprofiel",
    "Leidinggevende",
    "Datum in dienst",
    "Datum uit dienst",
]
ACTOR = Actor(user=None)


def person(number, first="Anna", last="Jansen", **extra):
    row = {
        "Personeelsnummer": number,
        "Voornaam": first,
        "Tussenvoegsel": "",
        "Achternaam": last,
        "E-mail": f"p{number}@gemeente.nl",
        "Functie": "Beleidsadviseur",
        "Afdeling": "Publiekszaken",
        "Team": "Burgerzaken",
        "Functieprofiel": "",
        "Leidinggevende": "",
        "Datum in dienst": "01-02-2020",
        "Datum uit dienst": "",
    }
    row.update(extra)
    return row


def csv_bytes(rows, header=HEADER, delimiter=";", encoding="utf-8-sig"):
    lines = [delimiter.join(header)]
    lines += [delimiter.join(str(row.get(column, "")) for column in header) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def plan_for(organisation, data):
    return build_plan(organisation=organisation, table=read_table(data))


def apply(organisation, data):
    return importing.people_import_apply(organisation=organisation, actor=ACTOR, data=data)


def problems(plan):
    return {(error.row, error.column, error.code) for error in plan.errors}


def xlsx_bytes(rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# Reading ------------------------------------------------------------------------------------


def test_cp1252_semicolon_file_with_dutch_headers_is_read(organisation):
    data = csv_bytes(
        [person("1", first="Zoë", last="Çelik", Functie="Coördinator")], encoding="cp1252"
    )
    apply(organisation, data)
    employee = Employee.objects.get(organisation=organisation)
    assert (employee.first_name, employee.last_name, employee.job_title) == (
        "Zoë",
        "Çelik",
        "Coördinator",
    )


def test_utf8_with_bom_and_commas_and_english_headers_is_read(organisation):
    header = ["  EMPLOYEE number", "First Name", "last_name", "Email", "Start date", "Shoe size"]
    rows = [{header[0]: "7", header[1]: "Jürgen", header[2]: "Smit", header[3]: "j@x.nl",
             header[4]: "2021-03-04", header[5]: "44"}]  # fmt: skip
    data = csv_bytes(rows, header=header, delimiter=",", encoding="utf-8-sig")
    assert data.startswith(b"\xef\xbb\xbf")
    plan = plan_for(organisation, data)
    assert plan.is_valid, plan.errors
    apply(organisation, data)
    employee = Employee.objects.get(organisation=organisation)
    assert (employee.employee_number, employee.first_name, employee.start_date) == (
        "7",
        "Jürgen",
        date(2021, 3, 4),
    )


def test_prefix_column_is_part_of_the_last_name(organisation):
    apply(organisation, csv_bytes([person("1", last="Dijk", Tussenvoegsel="van")]))
    assert Employee.objects.get().last_name == "van Dijk"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31-12-2024", date(2024, 12, 31)),
        ("1-2-2024", date(2024, 2, 1)),
        ("01/02/2024", date(2024, 2, 1)),
        ("2024-02-01", date(2024, 2, 1)),
        ("2024-02-01 00:00:00", date(2024, 2, 1)),
        ("31-02-2024", None),
        ("12/31/2024", None),
        ("1-2-24", None),
        ("gisteren", None),
    ],
)
def test_dates_are_day_first_or_iso(text, expected):
    assert parse_date(text) == expected


def test_xlsx_is_read_and_a_formula_is_text_never_evaluated(organisation):
    data = xlsx_bytes(
        [
            ["Personeelsnummer", "Voornaam", "Achternaam", "E-mail", "Functie", "Datum in dienst"],
            [101, "Sanne", "Bakker", "s@x.nl", "=1+1", datetime(2022, 5, 6)],
            [102.0, "Ravi", "Kaur", "r@x.nl", "Jurist", "6-5-2022"],
        ]
    )
    apply(organisation, data)
    sanne = Employee.objects.get(employee_number="101")
    assert sanne.job_title == "=1+1"
    assert sanne.start_date == date(2022, 5, 6)
    assert Employee.objects.get(employee_number="102").start_date == date(2022, 5, 6)


def test_a_formula_in_a_date_column_of_an_xlsx_is_a_row_error(organisation):
    data = xlsx_bytes(
        [
            ["Personeelsnummer", "Voornaam", "Achternaam", "E-mail", "Datum in dienst"],
            ["1", "Sanne", "Bakker", "s@x.nl", "=TODAY()"],
        ]
    )
    plan = plan_for(organisation, data)
    assert [(e.row, e.column, e.value, e.code) for e in plan.errors] == [
        (2, "Datum in dienst", "=TODAY()", "date")
    ]


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",  # an image renamed to .csv
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # old .xls
        b"PK\x03\x04 not really a zip",
        b"",
    ],
)
def test_type_is_sniffed_not_taken_from_the_name(data):
    with pytest.raises(ImportFileError):
        read_table(data)


def test_a_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(ImportFileError, match="not a CSV or XLSX"):
        read_table(buffer.getvalue())


def test_files_over_the_size_limit_are_refused():
    with pytest.raises(ImportFileError, match="larger than 5 MB"):
        read_table(b"a;b\n" * (importing.MAX_BYTES // 4 + 1))


# Checks: each names the row as HR sees it and the column as headed in the file ------------


def test_missing_required_columns_give_one_clear_error(organisation):
    data = csv_bytes([{"Voornaam": "A"}], header=["Voornaam", "Afdeling"])
    plan = plan_for(organisation, data)
    assert len(plan.errors) == 1
    error = plan.errors[0]
    assert (error.row, error.code) == (1, "missing_columns")
    assert "personeelsnummer / employee number" in error.expected
    assert "achternaam / last name" in error.expected
    assert "voornaam" not in error.expected


def test_every_field_problem_is_listed_at_once_with_row_and_column(organisation):
    rows = [
        person("1"),
        person("2", first=""),  # row 3: required
        person("3", **{"E-mail": "geen-adres"}),  # row 4: bad email
        person("4", **{"Datum in dienst": "32-01-2020"}),  # row 5: bad date
        person("5", **{"Datum in dienst": "01-02-2020", "Datum uit dienst": "31-01-2020"}),
        person("1", **{"E-mail": "ander@x.nl"}),  # row 7: duplicate number
        person("7", **{"E-mail": "P2@gemeente.nl"}),  # row 8: duplicate email (case-insensitive)
        person("8", Functieprofiel="bestaat-niet"),  # row 9: unknown role profile
        person("9", Leidinggevende="999"),  # row 10: unknown manager
        person("10", Leidinggevende="10"),  # row 11: own manager
    ]
    plan = plan_for(organisation, csv_bytes(rows))
    assert problems(plan) == {
        (3, "Voornaam", "required"),
        (4, "E-mail", "email"),
        (5, "Datum in dienst", "date"),
        (6, "Datum uit dienst", "end_before_start"),
        (7, "Personeelsnummer", "duplicate_number"),
        (8, "E-mail", "duplicate_email"),
        (9, "Functieprofiel", "role_profile"),
        (10, "Leidinggevende", "manager_unknown"),
        (11, "Leidinggevende", "manager_self"),
    }
    by_code = {error.code: error for error in plan.errors}
    assert by_code["duplicate_number"].expected.endswith("(also on row 2)")
    assert by_code["end_before_start"].expected.endswith("(01-02-2020)")
    assert by_code["email"].value == "geen-adres"


def test_messages_are_in_dutch_and_english(organisation):
    plan = plan_for(organisation, csv_bytes([person("1", **{"E-mail": "nee"})]))
    with translation.override("en"):
        english = plan.errors[0].expected
    with translation.override("nl"):
        dutch = plan.errors[0].expected
    assert english == "an email address such as name@gemeente.nl"
    assert dutch  # the Dutch text comes from the catalogue (maintained separately)


def test_blank_rows_are_skipped_but_rows_keep_their_spreadsheet_number(organisation):
    data = csv_bytes([person("1"), {}, person("2", first="")])
    plan = plan_for(organisation, data)
    assert problems(plan) == {(4, "Voornaam", "required")}


def test_email_in_use_in_another_organisation_is_a_row_error(organisation, other_organisation):
    EmployeeFactory(organisation=other_organisation, email="Gedeeld@Gemeente.nl")
    plan = plan_for(
        organisation, csv_bytes([person("1"), person("2", **{"E-mail": "gedeeld@gemeente.nl"})])
    )
    assert problems(plan) == {(3, "E-mail", "email_other_organisation")}


def test_email_of_another_employee_of_the_organisation_is_a_row_error(organisation):
    EmployeeFactory(organisation=organisation, employee_number="50", email="bezet@x.nl")
    plan = plan_for(organisation, csv_bytes([person("1", **{"E-mail": "bezet@x.nl"})]))
    assert problems(plan) == {(2, "E-mail", "email_in_use")}
    assert "50" in plan.errors[0].expected


def test_a_manager_loop_of_two_is_an_error_on_both_rows(organisation):
    rows = [person("A", Leidinggevende="B"), person("B", Leidinggevende="A"), person("C")]
    plan = plan_for(organisation, csv_bytes(rows))
    assert problems(plan) == {
        (2, "Leidinggevende", "manager_loop"),
        (3, "Leidinggevende", "manager_loop"),
    }
    assert plan.errors[0].params["chain"] == "A → B → A"
    assert plan.errors[1].params["chain"] == "B → A → B"


def test_a_longer_manager_loop_is_found(organisation):
    rows = [
        person("A", Leidinggevende="B"),
        person("B", Leidinggevende="C"),
        person("C", Leidinggevende="A"),
        person("D", Leidinggevende="A"),  # reports into the loop, is not part of it
    ]
    plan = plan_for(organisation, csv_bytes(rows))
    assert {error.row for error in plan.errors} == {2, 3, 4}
    assert plan.errors[0].params["chain"] == "A → B → C → A"


def test_a_loop_through_someone_already_in_the_organisation_is_found(organisation):
    boss = EmployeeFactory(organisation=organisation, employee_number="B")
    EmployeeFactory(organisation=organisation, employee_number="C", manager=None)
    boss.manager = Employee.objects.get(employee_number="C")
    boss.save()
    plan = plan_for(organisation, csv_bytes([person("C", Leidinggevende="B")]))
    assert problems(plan) == {(2, "Leidinggevende", "manager_loop")}


def test_a_team_under_two_departments_in_one_file_is_an_error(organisation):
    rows = [person("1", Afdeling="Publiekszaken"), person("2", Afdeling="Ruimte")]
    plan = plan_for(organisation, csv_bytes(rows))
    assert problems(plan) == {(3, "Afdeling", "team_department")}


def test_a_value_that_is_too_long_is_an_error(organisation):
    plan = plan_for(organisation, csv_bytes([person("1", Functie="x" * 121)]))
    assert problems(plan) == {(2, "Functie", "too_long")}


# Plan and apply --------------------------------------------------------------------------------


def test_dry_run_writes_nothing(organisation):
    data = csv_bytes([person("1"), person("2", Leidinggevende="1")])
    plan = importing.people_import_dry_run(organisation=organisation, data=data)
    assert plan.summary()["creates"] == 2
    assert plan.departments == ["Publiekszaken"]
    assert plan.teams == [("Burgerzaken", "Publiekszaken")]
    assert not Employee.objects.exists()
    assert not Team.objects.exists()
    assert not Department.objects.exists()
    assert not AuditEvent.objects.exists()


def test_apply_creates_people_teams_and_managers_then_reimport_changes_nothing(organisation):
    profile = RoleProfile.objects.create(
        organisation=organisation, code="jurist", name="Juridisch adviseur"
    )
    rows = [
        person("2", Leidinggevende="1", Functieprofiel="Juridisch adviseur"),  # manager below
        person("1", Team="Directie", Afdeling="", Functieprofiel="JURIST"),
        person("3", Leidinggevende="2", **{"Datum uit dienst": "31-12-2099"}),
    ]
    data = csv_bytes(rows)
    plan = apply(organisation, data)
    assert plan.summary()["creates"] == 3
    two = Employee.objects.filter(employee_number="2").values(
        "manager__employee_number", "team__department__name", "role_profile"
    )
    assert list(two) == [
        {
            "manager__employee_number": "1",
            "team__department__name": "Publiekszaken",
            "role_profile": profile.pk,
        }
    ]
    assert Team.objects.get(name="Directie").department is None
    again = plan_for(organisation, data)
    assert again.is_valid
    assert again.changes == 0
    assert again.unchanged == 3
    assert apply(organisation, data).changes == 0


def test_updates_list_the_changed_fields(organisation):
    apply(organisation, csv_bytes([person("1"), person("2")]))
    rows = [person("1", Functie="Teamleider"), person("2", Team="Nieuw", Leidinggevende="1")]
    plan = plan_for(organisation, csv_bytes(rows))
    assert [(p.number, p.changed) for p in plan.updates] == [
        ("1", ["job_title"]),
        ("2", ["team", "manager"]),
    ]
    assert plan.teams == [("Nieuw", "Publiekszaken")]


def test_a_team_under_another_department_is_moved(organisation):
    TeamFactory(organisation=organisation, name="Burgerzaken")
    plan = apply(organisation, csv_bytes([person("1")]))
    assert plan.teams_moved == [("Burgerzaken", "Publiekszaken")]
    moved = Team.objects.filter(name="Burgerzaken").values_list("department__name", flat=True)
    assert list(moved) == ["Publiekszaken"]


def test_leavers_are_ended_never_deleted_and_missing_people_stay(organisation):
    apply(organisation, csv_bytes([person("1"), person("2"), person("3")]))
    yesterday = (timezone.localdate() - timedelta(days=1)).strftime("%d-%m-%Y")
    plan = apply(
        organisation, csv_bytes([person("1", **{"Datum uit dienst": yesterday}), person("2")])
    )
    assert [p.number for p in plan.leavers] == ["1"]
    assert plan.updates == []
    assert Employee.objects.filter(organisation=organisation).count() == 3
    assert Employee.objects.get(employee_number="1").has_left
    assert Employee.objects.get(employee_number="3").end_date is None  # not in the file: kept


def test_an_existing_person_without_a_number_is_matched_on_email(organisation):
    EmployeeFactory(organisation=organisation, employee_number="", email="p1@gemeente.nl")
    plan = apply(organisation, csv_bytes([person("1")]))
    assert plan.creates == []
    assert "employee_number" in plan.updates[0].changed
    assert Employee.objects.get().employee_number == "1"


def test_nothing_is_written_when_one_row_is_bad(organisation):
    data = csv_bytes([person("1"), person("2"), person("3", **{"E-mail": "kapot"})])
    plan = apply(organisation, data)
    assert not plan.is_valid
    assert not Employee.objects.exists()
    assert not Team.objects.exists()
    assert not AuditEvent.objects.exists()


def test_one_audit_line_per_apply_with_counts_and_numbers(organisation):
    apply(organisation, csv_bytes([person("1"), person("2")]))
    event = AuditEvent.objects.get()
    assert event.action == "people.import"
    assert event.details["creates"] == 2
    assert event.details["created_numbers"] == ["1", "2"]


# Jobs and the task -----------------------------------------------------------------------------


def test_a_large_file_is_applied_by_the_task(organisation, django_capture_on_commit_callbacks):
    rows = [person(str(n)) for n in range(importing.TASK_THRESHOLD + 1)]
    job = importing.import_job_create(
        organisation=organisation, actor=ACTOR, file_name="groot.csv", data=csv_bytes(rows)
    )
    assert job.status == ImportStatus.CHECKED
    with django_capture_on_commit_callbacks(execute=True):
        job = importing.import_job_start(job=job, actor=ACTOR)
    assert job.status == ImportStatus.QUEUED
    job.refresh_from_db()
    assert (job.status, job.progress) == (ImportStatus.DONE, 100)
    assert job.result["summary"]["creates"] == importing.TASK_THRESHOLD + 1
    assert bytes(job.data) == b""  # the personal data in the file is not kept
    assert Employee.objects.count() == importing.TASK_THRESHOLD + 1


def test_starting_a_job_twice_applies_it_once(organisation, django_capture_on_commit_callbacks):
    job = importing.import_job_create(
        organisation=organisation, actor=ACTOR, file_name="a.csv", data=csv_bytes([person("1")])
    )
    with django_capture_on_commit_callbacks(execute=True):
        importing.import_job_start(job=job, actor=ACTOR)
        importing.import_job_start(job=job, actor=ACTOR)
    assert AuditEvent.objects.filter(action="people.import").count() == 1


# The command -----------------------------------------------------------------------------------


def test_command_dry_run_exits_0_and_writes_nothing(organisation, tmp_path, capsys):
    path = tmp_path / "mensen.csv"
    path.write_bytes(csv_bytes([person("1")]))
    call_command("import_people", "--organisation", organisation.slug, str(path), "--dry-run")
    assert "creates: 1" in capsys.readouterr().out
    assert not Employee.objects.exists()
    call_command("import_people", "--organisation", organisation.slug, str(path))
    assert Employee.objects.count() == 1


def test_command_exits_1_with_the_error_list(organisation, tmp_path, capsys):
    path = tmp_path / "mensen.csv"
    path.write_bytes(csv_bytes([person("1"), person("2", **{"E-mail": "kapot"})]))
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_people", "--organisation", organisation.slug, str(path))
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "3\tE-mail\tkapot\t" in err
    assert not Employee.objects.exists()


# Views -----------------------------------------------------------------------------------------


def upload(client, data, name="mensen.csv"):
    file = io.BytesIO(data)
    file.name = name
    return client.post(reverse("people:import_upload"), {"file": file})


def test_hr_uploads_previews_and_applies(member_client, organisation):
    client, _ = member_client(organisation, Role.HR)
    assert client.get(reverse("people:import_upload")).status_code == 200
    response = upload(client, csv_bytes([person("1"), person("2", Leidinggevende="1")]))
    job = ImportJob.objects.get(organisation=organisation)
    assert response.status_code == 302
    assert response["Location"] == reverse("people:import_preview", kwargs={"job_id": job.pk})
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    assert b"Burgerzaken" in preview.content
    assert not Employee.objects.exists()
    response = client.post(reverse("people:import_apply", kwargs={"job_id": job.pk}))
    assert response.status_code == 302
    assert Employee.objects.count() == 2
    result = client.get(response["Location"])
    assert result.status_code == 200
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE


def test_the_preview_shows_every_error_with_row_column_value_and_expected(
    member_client, organisation
):
    client, _ = member_client(organisation, Role.HR)
    with translation.override("en"):
        response = upload(client, csv_bytes([person("1"), person("2", **{"E-mail": "kapot"})]))
        page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    content = page.content.decode()
    assert "kapot" in content
    assert "E-mail" in content
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.INVALID
    assert client.post(reverse("people:import_apply", kwargs={"job_id": job.pk})).status_code == 302
    assert not Employee.objects.exists()


def test_an_unreadable_upload_is_a_form_error(member_client, organisation):
    client, _ = member_client(organisation, Role.HR)
    response = upload(client, b"\x89PNG\r\n\x1a\n\x00\x00", name="mensen.csv")
    assert response.status_code == 200
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.MANAGER, Role.ADMIN])
def test_only_hr_may_import(member_client, organisation, role):
    client, _ = member_client(organisation, role)
    assert client.get(reverse("people:import_upload")).status_code == 403
    job = ImportJob.objects.create(organisation=organisation, file_name="a.csv")
    for name in ("import_preview", "import_job"):
        assert client.get(reverse(f"people:{name}", kwargs={"job_id": job.pk})).status_code == 403


def test_a_job_of_another_organisation_is_404(member_client, organisation, other_organisation):
    client, _ = member_client(organisation, Role.HR)
    job = ImportJob.objects.create(organisation=other_organisation, file_name="a.csv")
    for name in ("import_preview", "import_job", "import_apply"):
        url = reverse(f"people:{name}", kwargs={"job_id": job.pk})
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404


def test_the_job_page_shows_progress_and_polls_while_running(member_client, organisation):
    client, _ = member_client(organisation, Role.HR)
    job = ImportJob.objects.create(
        organisation=organisation, file_name="a.csv", status=ImportStatus.RUNNING, progress=40
    )
    url = reverse("people:import_job", kwargs={"job_id": job.pk})
    page = client.get(url).content.decode()
    assert "<progress" in page
    assert 'value="40"' in page
    assert 'hx-trigger="every 2s"' in page
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment
    assert 'value="40"' in fragment


def test_managers_are_linked_also_where_the_database_returns_no_new_ids(organisation, monkeypatch):
    from django.db import connection

    monkeypatch.setattr(connection.features, "can_return_rows_from_bulk_insert", False)
    rows = [person("3", Leidinggevende="2"), person("2", Leidinggevende="1"), person("1")]
    apply(organisation, csv_bytes(rows))
    three = Employee.objects.filter(employee_number="3")
    assert three.values_list("manager__manager__employee_number", flat=True).get() == "1"


def test_a_deep_chain_of_new_people_gets_every_manager(organisation):
    rows = [person(str(n), Leidinggevende=str(n + 1) if n < 30 else "") for n in range(1, 31)]
    apply(organisation, csv_bytes(rows))
    managers = dict(Employee.objects.values_list("employee_number", "manager__employee_number"))
    assert managers == {str(n): (str(n + 1) if n < 30 else None) for n in range(1, 31)}


def test_a_job_is_checked_again_when_applied(organisation, other_organisation):
    job = importing.import_job_create(
        organisation=organisation, actor=ACTOR, file_name="a.csv", data=csv_bytes([person("1")])
    )
    EmployeeFactory(organisation=other_organisation, email="p1@gemeente.nl")  # meanwhile
    job = importing.import_job_start(job=job, actor=ACTOR)
    assert job.status == ImportStatus.INVALID
    assert job.result["errors"][0]["code"] == "email_other_organisation"
    assert not Employee.objects.filter(organisation=organisation).exists()


def test_a_job_that_crashes_is_marked_failed(organisation, monkeypatch):
    job = importing.import_job_create(
        organisation=organisation, actor=ACTOR, file_name="a.csv", data=csv_bytes([person("1")])
    )

    def crash(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing, "people_import_apply", crash)
    importing.import_job_start(job=job, actor=ACTOR)  # logged, not raised: the job page tells
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert bytes(job.data) == b""


def test_an_upload_over_the_size_limit_is_a_form_error(member_client, organisation, monkeypatch):
    monkeypatch.setattr(importing, "MAX_BYTES", 100)
    client, _ = member_client(organisation, Role.HR)
    response = upload(client, csv_bytes([person(str(n)) for n in range(10)]))
    assert response.status_code == 200
    assert b"larger than" in response.content
    assert not ImportJob.objects.exists()


def test_a_workbook_with_a_damaged_sheet_is_refused_not_crashed(organisation):
    import zipfile

    buffer = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active.append(["personeelsnummer", "voornaam"])
    workbook.save(buffer)
    damaged = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(damaged, "w") as target,
    ):
        for entry in source.infolist():
            content = source.read(entry.filename)
            if entry.filename.endswith("sheet1.xml"):
                content = content[: len(content) // 2]  # cut off in the middle
            target.writestr(entry, content)
    with pytest.raises(ImportFileError, match="damaged"):
        read_table(damaged.getvalue())
