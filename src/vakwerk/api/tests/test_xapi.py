"""xAPI statements to a Learning Record Store, tested against a real LRS: Ralph, started once
per test session on a loopback port from its own venv (``make var/lrs-venv/.installed``)."""

import base64
import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from vakwerk.api import xapi
from vakwerk.api.models import LrsConnection, StatementStatus, XapiStatement
from vakwerk.assessments import services as assessment_services
from vakwerk.assessments.models import Invitation, RoundStatus, Source, Subject
from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.frameworks.case import case_identifier
from vakwerk.nudges.jobs import JOBS
from vakwerk.organisations.models import Role
from vakwerk.practice import bank
from vakwerk.practice import services as practice_services
from vakwerk.practice.models import Card, Exercise, ExerciseKind, ScenarioFamily, ScenarioVariant
from vakwerk.practice.tests.test_graph import _variant
from vakwerk.tests.factories import (
    CompetencyFactory,
    EmployeeFactory,
    FrameworkVersionFactory,
    RoundFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english", "lrs_on_loopback"),
]

ROOT = Path(__file__).resolve().parents[4]
RALPH = ROOT / "var" / "lrs-venv" / "bin" / "ralph"
MAKE_LRS = "make var/lrs-venv/.installed"
KEY = "vakwerk"
SECRET = "lrs-" + uuid.uuid4().hex  # a fresh secret per session: it must never leak anywhere
# Ralph usually answers within a few seconds; on a busy CI machine (two suites side by side)
# its start-up, two interpreters importing pydantic and FastAPI, has taken over ten.
START_SECONDS = 30
LRS_HOME = "http://127.0.0.1/vakwerk"  # the account of Vakwerk's credentials in Ralph
ACTOR = Actor(user=None)


# The LRS ---------------------------------------------------------------------------------------


@pytest.fixture
def lrs_on_loopback(settings):
    """Ralph runs on this machine's loopback address, which only an operator's setting allows
    (test_xapi_addresses.py tests the refusal)."""
    settings.LRS_PRIVATE_ADDRESSES = True


@dataclass(frozen=True)
class Lrs:
    endpoint: str  # ends with /xAPI/

    def request(self, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
        auth = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
        headers = {"Authorization": f"Basic {auth}", "X-Experience-API-Version": "1.0.3"}
        data = None
        if payload is not None:
            data = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(  # noqa: S310 (an http URL of the test's own LRS)
            self.endpoint + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (an http URL of the test's own LRS)
                body = response.read()
                return response.status, json.loads(body) if body else None
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def statement(self, statement_id: str) -> dict[str, Any]:
        status, body = self.request("GET", f"statements?statementId={statement_id}")
        assert status == 200, body
        # xAPI answers with the statement itself; Ralph 5.1 wraps it in a statement result.
        return dict(_only(body["statements"]) if "statements" in body else body)

    def statements_about(self, activity: str) -> list[dict[str, Any]]:
        """Every statement whose object is ``activity``. Filtered here: Ralph 5.1's ``activity``
        query parameter matches nothing."""
        found, query = [], "statements?limit=100"
        while query:
            status, body = self.request("GET", query)
            assert status == 200, body
            found += [s for s in body["statements"] if s["object"]["id"] == activity]
            query = body.get("more", "").removeprefix("/xAPI/")
        return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def lrs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lrs]:
    """Ralph with a filesystem backend, a temporary data directory and its own credentials."""
    if not RALPH.exists():
        pytest.fail(
            f"The xAPI tests need the Ralph LRS in var/lrs-venv, which is missing. "
            f"Run `{MAKE_LRS}` (or `make test`, which does it).",
            pytrace=False,
        )
    home = tmp_path_factory.mktemp("lrs")
    (home / "run").mkdir()
    (home / "data").mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("RALPH_")}
    env.update(
        # tests/lrs/sitecustomize.py lets Ralph's filesystem backend store more than one request.
        PYTHONPATH=str(ROOT / "tests" / "lrs"),
        RALPH_APP_DIR=str(home),
        RALPH_AUTH_FILE=str(home / "auth.json"),
        RALPH_RUNSERVER_BACKEND="fs",
        RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH=str(home / "data"),
        RALPH_BACKENDS__DATA__FS__DEFAULT_DIRECTORY_PATH=str(home / "data"),
    )
    port = _free_port()
    log_path = home / "ralph.log"
    with log_path.open("wb") as log:
        # Its own session, so stopping it stops uvicorn's reloader and its server process.
        server = subprocess.Popen(  # noqa: S603 (a fixed command of the test)
            [str(RALPH), "runserver", "-b", "fs", "-h", "127.0.0.1", "-p", str(port)],
            cwd=home / "run",
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # The credentials file is read per request, so it is written while the server starts.
        made = subprocess.run(  # noqa: S603 (a fixed command of the test)
            [str(RALPH), "auth", "-u", KEY, "-p", SECRET, "-s", "all", "-w", "-A", KEY, LRS_HOME],
            cwd=home / "run",
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert made.returncode == 0, made.stderr.decode()
        lrs = Lrs(f"http://127.0.0.1:{port}/xAPI/")
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/__heartbeat__", timeout=2
                ) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"Ralph did not answer on port {port} within {START_SECONDS} s. "
                    f"Its output:\n{log_path.read_text(errors='replace')}",
                    pytrace=False,
                )
            time.sleep(0.1)
        yield lrs
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


# Data ------------------------------------------------------------------------------------------


@pytest.fixture
def competency(organisation):
    version = FrameworkVersionFactory(framework__organisation=organisation, published=True)
    return CompetencyFactory(version=version, code="AV-EMP", name="Empathie", name_en="Empathy")


@pytest.fixture
def person(organisation):
    return EmployeeFactory(
        organisation=organisation, email="j.jansen@example.nl", user=UserFactory()
    )


def _connect(organisation, lrs: Lrs | None, *, endpoint: str = "", secret: str = SECRET):
    return xapi.lrs_connection_save(
        organisation=organisation,
        actor=ACTOR,
        endpoint=endpoint or (lrs.endpoint if lrs else ""),
        key=KEY,
        secret=secret,
        is_enabled=True,
    )


def _closed_endpoint() -> str:
    return f"http://127.0.0.1:{_free_port()}/xAPI/"


def _finished_attempt(organisation, person, django_capture_on_commit_callbacks):
    family = ScenarioFamily.objects.create(
        organisation=organisation,
        code="balie",
        competency_codes=["AV-EMP"],
        title="Aan de balie",
        title_en="At the desk",
        summary="s",
    )
    graph = _variant()
    variant = ScenarioVariant.objects.create(
        family=family,
        code="balie-1",
        title="Een boze bewoner",
        setting="Aan de balie.",
        graph={"start": graph["start"], "nodes": graph["nodes"]},
    )
    card = Card.objects.create(
        organisation=organisation,
        employee=person,
        family=family,
        competency_code="AV-EMP",
        due=timezone.now(),
    )
    attempt = practice_services.attempt_start(card_id=card.pk)
    with django_capture_on_commit_callbacks(execute=True):
        while not attempt.is_finished:
            attempt = practice_services.attempt_choose(
                organisation=organisation,
                user=person.user,
                attempt_id=attempt.pk,
                node=attempt.node,
                choice=0,
                actor=ACTOR,
            )
    assert attempt.variant == variant
    return attempt


def _exercise(organisation, kind=ExerciseKind.JUDGEMENT, code="emp-oordeel-1") -> Exercise:
    options = [
        {"text": {"nl": "Ik verwijs door.", "en": "I refer on."}, "best": False},
        {"text": {"nl": "Ik luister eerst.", "en": "I listen first."}, "best": True},
    ]
    content: dict[str, Any] = {
        "code": code,
        "situation": {"nl": "Een bewoner is boos.", "en": "A resident is angry."},
        "question": {"nl": "Wat doe je?", "en": "What do you do?"},
        "options": options,
    }
    if kind == ExerciseKind.CARD:
        content = {
            "code": code,
            "title": {"nl": "LSD", "en": "LSD"},
            "check": {
                "question": {"nl": "Wanneer?", "en": "When?"},
                "options": [
                    {"text": {"nl": "Nu", "en": "Now"}, "correct": False},
                    {"text": {"nl": "Als de ander knikt", "en": "When they nod"}, "correct": True},
                ],
            },
        }
    return Exercise.objects.create(
        organisation=organisation,
        code=code,
        kind=kind,
        competency_code="AV-EMP",
        content=content,
    )


def _answer(exercise, person, choice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return bank.answer_save(exercise=exercise, employee=person, choice=choice, actor=ACTOR)


def _self_invitation(organisation, person, competency) -> Invitation:
    round_ = RoundFactory(
        organisation=organisation,
        version=competency.version,
        status=RoundStatus.OPEN,
        anonymity_threshold=3,
    )
    subject = Subject.objects.create(round=round_, employee=person, competency_codes=["AV-EMP"])
    return Invitation.objects.create(
        subject=subject, source=Source.SELF, rater=person, started_at=timezone.now()
    )


# What a valid xAPI 1.0.3 statement needs -------------------------------------------------------

IRI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$")
DURATION = re.compile(
    r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)


def _assert_valid(statement: dict[str, Any]) -> None:
    """The parts of xAPI 1.0.3 (xAPI-Data.md, section 2.4) a statement of Vakwerk uses."""
    assert uuid.UUID(statement["id"]).version == 5
    actor = statement["actor"]
    assert actor["objectType"] == "Agent"
    assert set(actor) == {"objectType", "account"}  # one identifier, and no name
    assert IRI.match(actor["account"]["homePage"])
    assert actor["account"]["name"]
    assert IRI.match(statement["verb"]["id"])
    assert statement["verb"]["display"]["en"]
    activity = statement["object"]
    assert activity["objectType"] == "Activity"
    assert IRI.match(activity["id"])
    assert IRI.match(activity["definition"]["type"])
    result = statement.get("result", {})
    if "score" in result:
        assert -1 <= result["score"]["scaled"] <= 1
    if "duration" in result:
        assert DURATION.match(result["duration"]), result["duration"]
    for kind, activities in statement["context"].get("contextActivities", {}).items():
        assert kind in {"parent", "grouping", "category", "other"}
        assert all(IRI.match(each["id"]) for each in activities)
    for key in statement["context"].get("extensions", {}) | result.get("extensions", {}):
        assert IRI.match(key)
    assert dt.datetime.fromisoformat(statement["timestamp"]).tzinfo is not None


def _only(statements: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(statements) == 1, statements
    return statements[0]


# Tests -----------------------------------------------------------------------------------------


def test_durations_are_iso_8601():
    assert xapi.iso_duration(0) == "PT0S"
    assert xapi.iso_duration(3.5) == "PT3.50S"
    assert xapi.iso_duration(3723) == "PT1H2M3S"
    assert xapi.iso_duration(60) == "PT1M"


def test_each_event_makes_a_valid_statement_that_the_lrs_accepts(
    lrs, organisation, person, competency, django_capture_on_commit_callbacks
):
    connection = _connect(organisation, lrs)
    # Built without sending, by the builders the services use.
    connection.is_enabled = False
    connection.save()
    attempt = _finished_attempt(organisation, person, django_capture_on_commit_callbacks)
    judgement = _answer(_exercise(organisation), person, 1, django_capture_on_commit_callbacks)
    card = _answer(
        _exercise(organisation, ExerciseKind.CARD, "emp-kaart-1"),
        person,
        1,
        django_capture_on_commit_callbacks,
    )
    invitation = _self_invitation(organisation, person, competency)
    assessment_services.invitation_complete(invitation=invitation, actor=ACTOR)
    assert not XapiStatement.objects.exists()  # disabled: nothing queued
    statements = [
        xapi.attempt_statement(connection, attempt),
        xapi.answer_statement(connection, judgement),
        xapi.answer_statement(connection, card),
        xapi.self_assessment_statement(connection, invitation),
    ]
    for statement in statements:
        _assert_valid(statement)
        status, body = lrs.request("PUT", f"statements?statementId={statement['id']}", statement)
        assert status == 204, body
        assert lrs.statement(statement["id"])["object"]["id"] == statement["object"]["id"]

    scenario, answered, experienced, self_assessment = statements
    assert [s["verb"]["id"].rsplit("/", 1)[1] for s in statements] == [
        "completed",
        "answered",
        "experienced",
        "completed",
    ]
    # The competency is the CASE item of Vakwerk's CASE export of the framework.
    case_item = f"urn:uuid:{case_identifier(competency.version.framework, 'item', 'AV-EMP')}"
    for statement in statements:
        assert statement["context"]["contextActivities"]["grouping"][0]["id"] == case_item
    assert scenario["result"]["completion"] is True
    assert scenario["result"]["score"]["scaled"] == 1.0
    assert scenario["context"]["registration"] == str(attempt.token)
    assert answered["result"] == {"completion": True, "success": True, "response": "1"}
    assert answered["object"]["definition"]["correctResponsesPattern"] == ["1"]
    assert experienced["result"]["success"] is True
    # The self-assessment says it was done: no answers, no scores of anyone.
    assert "score" not in self_assessment["result"]
    assert set(self_assessment["result"]) <= {"completion", "duration"}


def test_people_are_pseudonyms_in_the_lrs_never_their_email_or_name(
    organisation, other_organisation, person, django_capture_on_commit_callbacks
):
    connection = _connect(organisation, None, endpoint=_closed_endpoint())
    other = _connect(other_organisation, None, endpoint=_closed_endpoint())
    answer = _answer(_exercise(organisation), person, 0, django_capture_on_commit_callbacks)
    text = json.dumps(xapi.answer_statement(connection, answer))
    for personal in (person.email, person.first_name, person.last_name, person.employee_number):
        assert personal not in text
    # Stable for the same connection (the statement's actor is that pseudonym) ...
    assert xapi.pseudonym(connection, person.pk) in text
    assert xapi.pseudonym(connection, person.pk) != xapi.pseudonym(other, person.pk)


def test_a_finished_practice_run_reaches_the_lrs(
    lrs, organisation, person, competency, django_capture_on_commit_callbacks
):
    connection = _connect(organisation, lrs)
    attempt = _finished_attempt(organisation, person, django_capture_on_commit_callbacks)

    row = XapiStatement.objects.get()
    assert (row.event, row.status, row.attempts) == ("practice.attempt", StatementStatus.SENT, 1)
    stored = lrs.statement(str(row.statement_id))
    assert stored["actor"] == {
        "objectType": "Agent",
        "account": {
            "homePage": xapi.home_page(organisation),
            "name": xapi.pseudonym(connection, person.pk),
        },
    }
    assert stored["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
    assert stored["object"]["id"] == row.statement["object"]["id"]
    assert stored["object"]["id"].endswith(f"/scenarios/balie/{attempt.variant.code}")
    assert stored["result"]["score"]["scaled"] == attempt.scores["AV-EMP"]


def test_a_lrs_that_is_down_keeps_statements_queued_and_sends_them_once_when_back(
    lrs, organisation, person, django_capture_on_commit_callbacks
):
    connection = _connect(organisation, None, endpoint=_closed_endpoint())
    exercise = _exercise(organisation)
    _answer(exercise, person, 1, django_capture_on_commit_callbacks)

    row = XapiStatement.objects.get()
    assert row.status == StatementStatus.QUEUED
    assert row.attempts == 1
    assert row.last_error
    assert row.next_attempt_at > timezone.now()
    # Not due yet: a second send does not hammer the LRS.
    assert xapi.statements_send(organisation_id=organisation.pk)["retry"] == 0
    assert XapiStatement.objects.get().attempts == 1

    LrsConnection.objects.filter(pk=connection.pk).update(endpoint=lrs.endpoint)
    later = timezone.now() + xapi.backoff(1) + dt.timedelta(seconds=1)
    assert xapi.statements_send(organisation_id=organisation.pk, now=later)["sent"] == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (StatementStatus.SENT, 2, "")

    # The answer of the LRS got lost, say, and the statement goes again: still one in the LRS.
    XapiStatement.objects.filter(pk=row.pk).update(status=StatementStatus.QUEUED)
    assert xapi.statements_send(organisation_id=organisation.pk, now=later)["sent"] == 1
    assert xapi.statements_send(organisation_id=organisation.pk, now=later)["sent"] == 0
    activity = row.statement["object"]["id"]
    assert _only(lrs.statements_about(activity))["id"] == str(row.statement_id)
    # The same event queued again makes no second row either.
    xapi._queue(connection, "practice.answer", row.statement)
    assert XapiStatement.objects.count() == 1


@pytest.mark.parametrize("problem", ["endpoint", "secret"])
def test_a_wrong_endpoint_or_secret_keeps_statements_queued(
    lrs, organisation, person, problem, django_capture_on_commit_callbacks
):
    if problem == "endpoint":
        _connect(organisation, None, endpoint=lrs.endpoint.replace("/xAPI/", "/elders/"))
    else:
        _connect(organisation, lrs, secret="fout")
    _answer(_exercise(organisation), person, 1, django_capture_on_commit_callbacks)
    row = XapiStatement.objects.get()
    assert row.status == StatementStatus.QUEUED
    assert ("404" if problem == "endpoint" else "401") in row.last_error
    assert SECRET not in row.last_error


def test_a_statement_the_lrs_refuses_fails_and_the_rest_of_the_batch_is_sent(
    lrs, organisation, person, django_capture_on_commit_callbacks
):
    connection = _connect(organisation, lrs)
    first = _answer(_exercise(organisation), person, 1, django_capture_on_commit_callbacks)
    stored = XapiStatement.objects.get()
    good = xapi.answer_statement(connection, first)
    good["id"] = str(uuid.uuid4())
    bad = {key: value for key, value in good.items() if key != "verb"} | {"id": str(uuid.uuid4())}
    conflicting = {**stored.statement, "result": {"success": False}}
    for statement in (bad, good):
        xapi._queue(connection, "test", statement)
    # The LRS already holds the first statement; its row now says something else under that id.
    XapiStatement.objects.filter(pk=stored.pk).update(
        status=StatementStatus.QUEUED, statement=conflicting
    )

    outcome = xapi.statements_send(organisation_id=organisation.pk)

    assert outcome == {"sent": 1, "failed": 2, "retry": 0}
    rows = {row.statement["id"]: row for row in XapiStatement.objects.all()}
    assert rows[good["id"]].status == StatementStatus.SENT
    assert rows[bad["id"]].status == StatementStatus.FAILED
    assert "refused" in rows[bad["id"]].last_error
    assert rows[str(stored.statement_id)].status == StatementStatus.FAILED
    assert "different statement" in rows[str(stored.statement_id)].last_error
    assert lrs.statement(good["id"])["id"] == good["id"]

    # HR sends the refused ones again once the cause is fixed.
    XapiStatement.objects.filter(pk=stored.pk).update(statement=stored.statement)
    with django_capture_on_commit_callbacks(execute=True):
        assert xapi.statements_retry_failed(organisation=organisation, actor=ACTOR) == 2
    assert XapiStatement.objects.get(pk=stored.pk).status == StatementStatus.SENT
    assert XapiStatement.objects.filter(status=StatementStatus.FAILED).count() == 1


def test_only_a_self_assessment_becomes_a_statement(
    lrs, organisation, person, competency, django_capture_on_commit_callbacks
):
    _connect(organisation, lrs)
    invitation = _self_invitation(organisation, person, competency)
    manager = EmployeeFactory(organisation=organisation)
    by_manager = Invitation.objects.create(
        subject=invitation.subject, source=Source.MANAGER, rater=manager
    )
    with django_capture_on_commit_callbacks(execute=True):
        assessment_services.invitation_complete(invitation=by_manager, actor=ACTOR)
        assessment_services.invitation_complete(invitation=invitation, actor=ACTOR)
    row = XapiStatement.objects.get()
    assert (row.event, row.status) == ("assessments.self", StatementStatus.SENT)
    stored = lrs.statement(str(row.statement_id))
    assert stored["object"]["id"].endswith(f"/rounds/{invitation.subject.round_id}/self-assessment")
    assert "score" not in stored.get("result", {})


def test_without_an_enabled_lrs_nothing_is_queued(
    organisation, person, django_capture_on_commit_callbacks
):
    _answer(_exercise(organisation), person, 1, django_capture_on_commit_callbacks)
    connection = _connect(organisation, None, endpoint=_closed_endpoint())
    LrsConnection.objects.filter(pk=connection.pk).update(is_enabled=False)
    _answer(_exercise(organisation, code="tweede"), person, 1, django_capture_on_commit_callbacks)
    assert not XapiStatement.objects.exists()


def test_the_daily_job_sends_what_waits(
    lrs, organisation, person, django_capture_on_commit_callbacks
):
    connection = _connect(organisation, None, endpoint=_closed_endpoint())
    _answer(_exercise(organisation), person, 1, django_capture_on_commit_callbacks)
    LrsConnection.objects.filter(pk=connection.pk).update(endpoint=lrs.endpoint)
    assert JOBS["xapi"].function == "vakwerk.api.xapi.statements_resend"
    now = timezone.now()
    assert xapi.statements_resend(now=now) == {
        "organisations": 0,
        "sent": 0,
        "failed": 0,
        "retry": 0,
    }  # not due yet
    later = now + dt.timedelta(hours=1)
    assert xapi.statements_resend(now=later)["sent"] == 1
    assert XapiStatement.objects.get().status == StatementStatus.SENT


# The page --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [(Role.EMPLOYEE, 403), (Role.MANAGER, 403)])
def test_only_hr_and_administrators_open_the_lrs_page(member_client, organisation, role, status):
    client, _user = member_client(organisation, role)
    assert client.get(reverse("xapi:settings")).status_code == status
    assert client.post(reverse("xapi:test")).status_code == status
    assert client.post(reverse("xapi:retry")).status_code == status


@pytest.mark.parametrize("role", [Role.HR, Role.ADMIN])
def test_hr_configures_and_tests_the_lrs_without_the_secret_showing(
    lrs, member_client, organisation, role
):
    client, user = member_client(organisation, role)
    url = reverse("xapi:settings")
    assert client.get(url).status_code == 200
    form = {"endpoint": lrs.endpoint, "key": KEY, "secret": SECRET, "is_enabled": "on"}
    assert client.post(url, form)["Location"] == url

    connection = LrsConnection.objects.get(organisation=organisation)
    assert (connection.secret, connection.is_enabled) == (SECRET, True)
    event = AuditEvent.objects.get(action="xapi.configure")
    assert event.actor == user
    assert event.details["secret_changed"] is True
    assert SECRET not in json.dumps(event.details)
    page = client.get(url).content.decode()
    assert SECRET not in page
    assert "Waiting to be sent" in page

    # An empty secret keeps the stored one.
    client.post(url, {**form, "secret": ""})
    connection.refresh_from_db()
    assert connection.secret == SECRET

    answer = client.post(reverse("xapi:test"), follow=True).content.decode()
    assert "The connection works" in answer
    LrsConnection.objects.filter(pk=connection.pk).update(secret="fout")
    answer = client.post(reverse("xapi:test"), follow=True).content.decode()
    assert "refuses the key and secret" in answer


def test_a_new_connection_needs_a_secret_and_a_web_address(member_client, organisation):
    client, _user = member_client(organisation, Role.HR)
    response = client.post(
        reverse("xapi:settings"), {"endpoint": "geen adres", "key": KEY, "secret": ""}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"endpoint", "secret"}
    assert not LrsConnection.objects.exists()


def test_credentials_in_the_address_are_refused(member_client, organisation):
    client, _user = member_client(organisation, Role.HR)
    response = client.post(
        reverse("xapi:settings"),
        {"endpoint": "https://naam:geheim@lrs.example/xapi/", "key": KEY, "secret": "s"},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"endpoint"}
    assert not LrsConnection.objects.exists()


def test_a_failed_send_is_tried_again_by_a_deferred_task(
    settings, organisation, person, django_capture_on_commit_callbacks
):
    from django.tasks import task_backends

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    _connect(organisation, None, endpoint=_closed_endpoint())
    _answer(_exercise(organisation), person, 1, django_capture_on_commit_callbacks)
    backend = task_backends["default"]
    assert [result.task.run_after for result in backend.results] == [None]  # after the commit

    with django_capture_on_commit_callbacks(execute=True):
        assert xapi.statements_send(organisation_id=organisation.pk)["retry"] == 1
    row = XapiStatement.objects.get()
    assert backend.results[-1].task.run_after == row.next_attempt_at
    assert backend.results[-1].args == [organisation.pk]
