"""The hostile corpus (``vakwerk.tests.hostile``) through the real HR upload page, the
``import_people`` command and the engine's command line: every bad file is refused with a
message that says what is wrong, nothing is written, and nothing is a server error."""

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from vakwerk.audit.models import AuditEvent
from vakwerk.lib.spreadsheets import csv_response
from vakwerk.measurement.__main__ import main as engine_main
from vakwerk.organisations.models import Role
from vakwerk.people.models import Employee
from vakwerk.tests.hostile import Hostile, corpus

pytestmark = pytest.mark.django_db
CORPUS = corpus()


def written(organisation):
    return (
        Employee.objects.filter(organisation=organisation).count(),
        AuditEvent.objects.filter(organisation=organisation, action="people.import").count(),
    )


def post(client, hostile: Hostile, language: str):
    upload = io.BytesIO(hostile.data)
    upload.name = hostile.name
    with translation.override(language):
        return client.post(
            reverse("people:import_upload"),
            {"file": upload},
            follow=True,
            HTTP_ACCEPT_LANGUAGE=language,
        )


@pytest.mark.parametrize("hostile", CORPUS, ids=[h.name for h in CORPUS])
def test_the_upload_page_names_what_is_wrong_and_writes_nothing(
    member_client, organisation, settings, hostile
):
    settings.LANGUAGE_CODE = "en"
    client, _user = member_client(organisation, Role.HR)
    before = written(organisation)
    response = post(client, hostile, "en")
    assert response.status_code in (200, 400)
    page = response.content.decode()
    if hostile.rejected:
        assert hostile.rejected in page, page[-3000:]
        if hostile.column:
            assert hostile.column in page
    else:  # read correctly: the preview lists the people as the file has them
        for number, first, last in hostile.accepted:
            assert escape(f"{first} {last}") in page
            assert number in page
    assert written(organisation) == before
    dutch = post(client, hostile, "nl")
    assert dutch.status_code in (200, 400)
    assert written(organisation) == before


@pytest.mark.parametrize("hostile", CORPUS, ids=[h.name for h in CORPUS])
def test_the_import_command_refuses_or_reads_exactly(organisation, tmp_path, capsys, hostile):
    path = tmp_path / hostile.name
    path.write_bytes(hostile.data)
    before = written(organisation)
    with translation.override("en"):
        if hostile.rejected:
            with pytest.raises(SystemExit) as exit_info:
                call_command("import_people", "--organisation", organisation.slug, str(path))
            assert exit_info.value.code == 1
            message = capsys.readouterr().err
            if hostile.name == "empty.csv":  # the form says it for the page; the reader here
                assert "The file is empty." in message
            else:
                assert hostile.rejected in message
            assert hostile.column in message
            assert written(organisation) == before
            return
        call_command("import_people", "--organisation", organisation.slug, str(path))
    stored = set(
        Employee.objects.filter(organisation=organisation).values_list(
            "employee_number", "first_name", "last_name"
        )
    )
    assert stored == set(hostile.accepted)  # decoded right; formulas kept as text


def test_formula_text_is_stored_as_written_and_exported_safely(organisation, tmp_path):
    hostile = next(h for h in CORPUS if h.name == "formula-injection.csv")
    path = tmp_path / hostile.name
    path.write_bytes(hostile.data)
    call_command("import_people", "--organisation", organisation.slug, str(path))
    names = list(
        Employee.objects.filter(organisation=organisation)
        .order_by("employee_number")
        .values_list("first_name", "last_name")
    )
    assert names == [(first, last) for _number, first, last in hostile.accepted]
    exported = csv_response("mensen", ["first", "last"], names).content.decode("utf-8-sig")
    for first, last in names:
        assert f"'{first}" in exported.replace('""', '"')
        assert f"'{last}" in exported


@pytest.mark.parametrize("hostile", CORPUS, ids=[h.name for h in CORPUS])
def test_the_engine_command_line_refuses_a_people_file_without_writing(tmp_path, capsys, hostile):
    source, target = tmp_path / hostile.name, tmp_path / "out.csv"
    source.write_bytes(hostile.data)
    assert engine_main(["estimate", str(source), str(target)]) == 2
    assert re.search(r"line \d+", capsys.readouterr().err)
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == [hostile.name]
