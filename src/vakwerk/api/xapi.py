"""xAPI 1.0.3: learning events as statements, queued and sent to the organisation's LRS.

Three events become statements (docs/xapi.md):

- a finished practice scenario (``practice.attempt``): *completed* the scenario variant, with
  the mean performance as the scaled score, the run's duration and the score per competency;
- an answered practice-bank item (``practice.answer``): *answered* a judgement exercise, or
  *experienced* an insight card whose check question was answered, with success and response;
- a completed self-assessment (``assessments.self``): *completed* the self-assessment of a
  round, with the duration only. Never the answers, and never a manager's, colleague's or
  external rater's questionnaire: those are judgements of someone else, and a statement about
  them would tell the LRS who rated whom.

The services call ``attempt_finished``, ``exercise_answered`` or ``questionnaire_completed``
in their own transaction (one line each). When the organisation has an enabled LRS, the
statement is built and stored as an ``XapiStatement`` row in that same transaction (so it is
never lost: it exists exactly when the event does), and the send task is enqueued once the
transaction commits. A statement's id is a UUID5 of the event, so the same event queues one
row, and the LRS stores it once however often it is sent. ``statements_send`` posts due
statements in batches; network errors, server errors and refused credentials keep them queued
with a growing delay; a statement the LRS refuses (400, or 409: a different statement with its
id) is marked failed. The periodic job ``xapi`` sends whatever is still due once a day.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import ipaddress
import json
import logging
import socket
import ssl
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from vakwerk.api.models import LrsConnection, StatementStatus, XapiStatement
from vakwerk.audit.services import Actor, audit_log
from vakwerk.frameworks.case import case_identifier
from vakwerk.frameworks.models import Competency, FrameworkVersion, VersionStatus

if TYPE_CHECKING:
    from vakwerk.assessments.models import Invitation
    from vakwerk.organisations.models import Organisation
    from vakwerk.practice.models import Attempt, ExerciseAnswer

logger = logging.getLogger(__name__)

XAPI_VERSION = "1.0.3"

ADL = "http://adlnet.gov/expapi"
VERBS = {
    "completed": (f"{ADL}/verbs/completed", "completed", "voltooide"),
    "answered": (f"{ADL}/verbs/answered", "answered", "beantwoordde"),
    "experienced": (f"{ADL}/verbs/experienced", "experienced", "bekeek"),
}
SIMULATION = f"{ADL}/activities/simulation"
INTERACTION = f"{ADL}/activities/cmi.interaction"
LESSON = f"{ADL}/activities/lesson"
ASSESSMENT = f"{ADL}/activities/assessment"
OBJECTIVE = f"{ADL}/activities/objective"

BATCH_SIZE = 50
TIMEOUT_SECONDS = 10
# A claimed batch is left alone by other workers this long (a worker that dies mid-send).
LEASE = dt.timedelta(minutes=5)
FIRST_DELAY = dt.timedelta(minutes=1)
LONGEST_DELAY = dt.timedelta(hours=6)
ERROR_LENGTH = 500
# What a LRS answers to a statement it will not store, however often it is sent.
REFUSED = (HTTPStatus.BAD_REQUEST, HTTPStatus.UNPROCESSABLE_ENTITY)


class LrsUnavailableError(Exception):
    """The LRS could not be reached (connection refused, timeout, DNS)."""


# Building --------------------------------------------------------------------------------------


def home_page(organisation: Organisation) -> str:
    """The ``homePage`` of the organisation's accounts: an address under the installation, one
    per organisation, so pseudonyms of two organisations never collide in a shared LRS."""
    return f"{settings.BASE_URL}/organisatie/{organisation.slug}"


def activity_base(organisation: Organisation) -> str:
    return f"{settings.BASE_URL}/xapi/{organisation.slug}"


def extension(name: str) -> str:
    return f"{settings.BASE_URL}/xapi/extensions/{name}"


def pseudonym(connection: LrsConnection, employee_id: int) -> str:
    """A stable pseudonym of one employee towards the organisation's LRS.

    Privacy: the LRS is often run by a third party and keeps statements for years, so it gets
    neither the email address nor the name (nor the employee number): only a UUID5 of the
    employee's id under the connection's random salt. Vakwerk can tell who it is; the LRS
    cannot, and two organisations' LRSs cannot link their pseudonyms. The same person keeps the
    same pseudonym for the life of the connection, so their statements stay together.
    """
    return str(uuid.uuid5(connection.salt, f"employee/{employee_id}"))


def agent(connection: LrsConnection, employee_id: int) -> dict[str, Any]:
    return {
        "objectType": "Agent",
        "account": {
            "homePage": home_page(connection.organisation),
            "name": pseudonym(connection, employee_id),
        },
    }


def verb(name: str) -> dict[str, Any]:
    iri, english, dutch = VERBS[name]
    return {"id": iri, "display": {"en": english, "nl": dutch}}


def language_map(dutch: str, english: str = "") -> dict[str, str]:
    texts = {"nl": dutch}
    if english:
        texts["en"] = english
    return texts


def pack_map(value: Any, limit: int = 200) -> dict[str, str]:
    """A content-pack text ``{"nl": ..., "en": ...}`` as a language map, each text cut short."""
    if not isinstance(value, dict):
        return {}
    return {lang: str(value[lang])[:limit] for lang in ("nl", "en") if value.get(lang)}


def iso_duration(seconds: float) -> str:
    """An ISO 8601 duration to the hundredth of a second, as xAPI asks: ``PT1H2M3.5S``."""
    centis = max(round(seconds * 100), 0)
    hours, rest = divmod(centis, 360_000)
    minutes, rest = divmod(rest, 6_000)
    text = "PT"
    if hours:
        text += f"{hours}H"
    if minutes:
        text += f"{minutes}M"
    if rest or text == "PT":
        whole, hundredths = divmod(rest, 100)
        text += f"{whole}.{hundredths:02d}S" if hundredths else f"{whole}S"
    return text


def timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def statement_id(connection: LrsConnection, event: str, key: object) -> str:
    """The id of the statement about one event: the same event always gets the same id (so it
    is stored once, however often it is queued or sent), and no other event, organisation or
    installation gets it (the connection's random salt; database ids alone repeat after a
    restore or in a test run)."""
    return str(uuid.uuid5(connection.salt, f"statement/{event}/{key}"))


def competency_activities(
    organisation: Organisation, codes: Iterable[str], version: FrameworkVersion | None = None
) -> list[dict[str, Any]]:
    """The competencies as activities whose id is their CASE item: the URI imported with the
    framework, else the ``urn:uuid:`` of the identifier Vakwerk's CASE export gives them
    (``frameworks.case``). Without ``version``, each code is looked up in the organisation's
    most recently published framework version that has it."""
    wanted = list(dict.fromkeys(codes))
    if not wanted:
        return []
    found = Competency.objects.filter(code__in=wanted).select_related("version__framework")
    if version is not None:
        found = found.filter(version=version)
    else:
        found = found.filter(
            version__framework__organisation=organisation,
            version__status=VersionStatus.PUBLISHED,
        ).order_by("-version__published_at", "-version__number")
    by_code: dict[str, Competency] = {}
    for each in found:
        by_code.setdefault(each.code, each)
    activities = []
    for code in wanted:
        competency = by_code.get(code)
        if competency is None:
            activities.append(
                {
                    "objectType": "Activity",
                    "id": f"{activity_base(organisation)}/competencies/{urllib.parse.quote(code)}",
                    "definition": {"type": OBJECTIVE, "name": {"nl": code}},
                }
            )
            continue
        framework = competency.version.framework
        iri = competency.case_uri or f"urn:uuid:{case_identifier(framework, 'item', code)}"
        activities.append(
            {
                "objectType": "Activity",
                "id": iri,
                "definition": {
                    "type": OBJECTIVE,
                    "name": language_map(competency.name, competency.name_en),
                    "extensions": {extension("competency-code"): code},
                },
            }
        )
    return activities


def _context(*, grouping: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    activities = dict(more.pop("contextActivities", {}) or {})
    context: dict[str, Any] = {"platform": "Vakwerk", "language": "nl", **more}
    if grouping:
        activities["grouping"] = grouping
    if activities:
        context["contextActivities"] = activities
    return context


def attempt_statement(connection: LrsConnection, attempt: Attempt) -> dict[str, Any]:
    """*completed* a practice scenario variant: mean performance, duration, per competency."""
    organisation = connection.organisation
    variant = attempt.variant
    family = variant.family
    base = activity_base(organisation)
    finished = attempt.finished_at or timezone.now()
    scores = {code: float(score) for code, score in attempt.scores.items()}
    result: dict[str, Any] = {
        "completion": True,
        "duration": iso_duration((finished - attempt.started_at).total_seconds()),
    }
    if scores:
        result["score"] = {"scaled": round(sum(scores.values()) / len(scores), 3)}
        result["extensions"] = {extension("competency-scores"): scores}
    family_activity = {
        "objectType": "Activity",
        "id": f"{base}/scenarios/{family.code}",
        "definition": {"type": SIMULATION, "name": language_map(family.title, family.title_en)},
    }
    context = _context(
        grouping=competency_activities(organisation, family.competency_codes),
        registration=str(attempt.token),
        contextActivities={"parent": [family_activity]},
        extensions={extension("ending"): attempt.ending},
    )
    return {
        "id": statement_id(connection, "practice.attempt", attempt.token),
        "actor": agent(connection, attempt.employee_id),
        "verb": verb("completed"),
        "object": {
            "objectType": "Activity",
            "id": f"{base}/scenarios/{family.code}/{variant.code}",
            "definition": {
                "type": SIMULATION,
                "name": language_map(variant.title, variant.title_en),
            },
        },
        "result": result,
        "context": context,
        "timestamp": timestamp(finished),
    }


def answer_statement(connection: LrsConnection, answer: ExerciseAnswer) -> dict[str, Any]:
    """*answered* a judgement exercise (a choice interaction), or *experienced* an insight card
    whose check question was answered; success says whether the answer was the best one."""
    from vakwerk.practice.bank import is_right, options
    from vakwerk.practice.models import ExerciseKind

    organisation = connection.organisation
    exercise = answer.exercise
    content = exercise.content
    found = options(exercise)
    definition: dict[str, Any]
    if exercise.kind == ExerciseKind.CARD:
        name = "experienced"
        definition = {"type": LESSON, "name": pack_map(content.get("title"))}
    else:
        name = "answered"
        definition = {
            "type": INTERACTION,
            "name": pack_map(content.get("situation")),
            "description": pack_map(content.get("question")),
            "interactionType": "choice",
            "correctResponsesPattern": [
                str(i) for i, option in enumerate(found) if is_right(exercise, option)
            ],
            "choices": [
                {"id": str(i), "description": pack_map(option.get("text"))}
                for i, option in enumerate(found)
            ],
        }
    definition = {key: value for key, value in definition.items() if value != {}}
    return {
        "id": statement_id(connection, "practice.answer", answer.pk),
        "actor": agent(connection, answer.employee_id),
        "verb": verb(name),
        "object": {
            "objectType": "Activity",
            "id": f"{activity_base(organisation)}/exercises/{exercise.code}",
            "definition": definition,
        },
        "result": {"completion": True, "success": answer.correct, "response": str(answer.choice)},
        "context": _context(
            grouping=competency_activities(organisation, [exercise.competency_code]),
        ),
        "timestamp": timestamp(answer.answered_at or timezone.now()),
    }


def self_assessment_statement(connection: LrsConnection, invitation: Invitation) -> dict[str, Any]:
    """*completed* the self-assessment of a round: that it was done and how long it took. No
    answers and no scores: the measured level also rests on others' ratings, which never leave
    Vakwerk (and the person's own answers are not learning results)."""
    organisation = connection.organisation
    subject = invitation.subject
    round_ = subject.round
    completed = invitation.completed_at or timezone.now()
    result: dict[str, Any] = {"completion": True}
    if invitation.started_at is not None and invitation.started_at <= completed:
        result["duration"] = iso_duration((completed - invitation.started_at).total_seconds())
    return {
        "id": statement_id(connection, "assessments.self", invitation.pk),
        "actor": agent(connection, subject.employee_id),
        "verb": verb("completed"),
        "object": {
            "objectType": "Activity",
            "id": f"{activity_base(organisation)}/rounds/{round_.pk}/self-assessment",
            "definition": {
                "type": ASSESSMENT,
                "name": {
                    "nl": f"Zelfbeoordeling: {round_.name}",
                    "en": f"Self-assessment: {round_.name}",
                },
            },
        },
        "result": result,
        "context": _context(
            grouping=competency_activities(
                organisation, subject.competency_codes, version=round_.version
            ),
        ),
        "timestamp": timestamp(completed),
    }


# Queueing: the one-line hooks of the services ----------------------------------------------------


def _enabled(organisation_id: int) -> LrsConnection | None:
    return (
        LrsConnection.objects.filter(organisation_id=organisation_id, is_enabled=True)
        .select_related("organisation")
        .first()
    )


def _queue(connection: LrsConnection, event: str, statement: dict[str, Any]) -> None:
    """Store the statement in the caller's transaction; send it once that commits."""
    XapiStatement.objects.bulk_create(
        [
            XapiStatement(
                organisation=connection.organisation,
                statement_id=uuid.UUID(statement["id"]),
                event=event,
                statement=statement,
            )
        ],
        ignore_conflicts=True,  # the same event again: its statement is already queued
    )
    organisation_id = connection.organisation_id
    transaction.on_commit(lambda: enqueue_send(organisation_id))


def enqueue_send(organisation_id: int, *, at: dt.datetime | None = None) -> None:
    from vakwerk.api.xapi_tasks import send_statements

    task = send_statements
    try:
        if at is not None:
            from django.tasks import task_backends

            if not task_backends[task.backend].supports_defer:
                return  # the periodic job sends it
            task = task.using(run_after=at)
        task.enqueue(organisation_id)
    except Exception:
        # The statements are stored: the periodic job sends them. The person's own action (it
        # runs after their transaction committed) must not fail over a queue.
        logger.exception("Could not enqueue sending xAPI statements of %s", organisation_id)


def attempt_finished(attempt: Attempt) -> None:
    """Called by ``practice.services`` when a run reaches its ending."""
    connection = _enabled(attempt.organisation_id)
    if connection is not None:
        _queue(connection, "practice.attempt", attempt_statement(connection, attempt))


def exercise_answered(answer: ExerciseAnswer) -> None:
    """Called by ``practice.bank`` when a judgement exercise or a card's check is answered."""
    connection = _enabled(answer.organisation_id)
    if connection is not None:
        _queue(connection, "practice.answer", answer_statement(connection, answer))


def questionnaire_completed(invitation: Invitation) -> None:
    """Called by ``assessments.services`` when a questionnaire is completed: only a
    self-assessment becomes a statement."""
    from vakwerk.assessments.models import Source

    if invitation.source != Source.SELF:
        return
    connection = _enabled(invitation.subject.round.organisation_id)
    if connection is not None:
        _queue(connection, "assessments.self", self_assessment_statement(connection, invitation))


# Talking to the LRS ------------------------------------------------------------------------------


# NAT64 (RFC 6052) maps IPv4 addresses, private ones included, into IPv6; Python counts the
# prefix as global.
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class _UnresolvedError(LrsUnavailableError):
    """The endpoint's name does not resolve (now)."""


@dataclass(frozen=True)
class _Target:
    """Where a request goes: the URL's host and port (for the Host header and TLS) and the
    addresses it resolved to, checked, which are the only ones connected to."""

    https: bool
    host: str
    port: int
    path: str
    addresses: tuple[tuple[int, tuple[Any, ...]], ...]  # (address family, socket address)


def _target(url: str) -> _Target:
    """The checked target of ``url``; ``LrsUnavailableError`` says what is wrong with it.

    The endpoint is typed in by HR and the server sends requests to it (and keeps what the LRS
    answers to show on HR's page), so an address on the server's own machine or in a private
    network could reach services that only the server should reach. Such addresses are refused
    unless the operator allows them (``VAKWERK_LRS_PRIVATE_ADDRESSES``, for an LRS inside the
    municipality's network). Every address the name resolves to is checked, at each request,
    and the connection goes to those addresses only: the name is not looked up a second time
    (a name can resolve to a public address for the check and a private one right after)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LrsUnavailableError(_("The endpoint must start with http:// or https://."))
    if "%" in parts.netloc:  # urllib would decode it, this check would not
        raise LrsUnavailableError(_("The endpoint's address may not contain a percent sign."))
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise LrsUnavailableError(_("The endpoint's port must be a number from 1 to 65535."))
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise _UnresolvedError(
            _("The endpoint's name %(host)s cannot be found.") % {"host": parts.hostname}
        ) from error
    for *_rest, address in found:
        ip = ipaddress.ip_address(str(address[0]).split("%", 1)[0])
        if not settings.LRS_PRIVATE_ADDRESSES and (not ip.is_global or ip in NAT64):
            raise LrsUnavailableError(
                _(
                    "The endpoint's address %(address)s is on this server or in a private "
                    "network. Only an operator can allow that (VAKWERK_LRS_PRIVATE_ADDRESSES)."
                )
                % {"address": ip}
            )
    path = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    return _Target(
        https=parts.scheme == "https",
        host=parts.hostname,
        port=port,
        path=path,
        addresses=tuple((family, address) for family, *_rest, address in found),
    )


def endpoint_problem(url: str) -> str:
    """Why Vakwerk will not send requests to ``url``, or "" when it may (``_target``). A name
    that does not resolve may be stored: sending to it says why it fails."""
    try:
        _target(url)
    except _UnresolvedError:
        return ""
    except LrsUnavailableError as error:
        return str(error)
    return ""


def _connect(target: _Target, timeout: float | None) -> socket.socket:
    """A connection to the first of the target's checked addresses that answers."""
    problem: OSError = OSError(_("No address to connect to."))
    for family, address in target.addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
        except OSError as error:
            sock.close()
            problem = error
            continue
        return sock
    raise problem


class _Http(http.client.HTTPConnection):
    """Plain HTTP to the checked addresses only. ``http.client`` follows no redirect (a 3xx
    comes back as what it is: following it would send the credentials anywhere) and uses no
    proxy from the environment (which would resolve the name itself)."""

    def __init__(self, target: _Target) -> None:
        super().__init__(target.host, target.port, timeout=TIMEOUT_SECONDS)
        self.target = target

    def connect(self) -> None:
        self.sock = _connect(self.target, self.timeout)


class _Https(http.client.HTTPSConnection):
    """HTTPS to the checked addresses only, the certificate verified for the URL's host."""

    def __init__(self, target: _Target) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=TIMEOUT_SECONDS, context=self.tls)
        self.target = target

    def connect(self) -> None:
        self.sock = self.tls.wrap_socket(
            _connect(self.target, self.timeout), server_hostname=self.target.host
        )


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")[:ERROR_LENGTH]


def lrs_request(
    connection: LrsConnection,
    method: str,
    resource: str,
    *,
    query: dict[str, str] | None = None,
    payload: Any = None,
    authenticate: bool = True,
) -> Reply:
    """One request to ``<endpoint><resource>``. HTTP errors come back as a ``Reply``; a LRS
    that cannot be reached (or may not be: ``_target``) raises ``LrsUnavailableError``."""
    url = connection.endpoint.rstrip("/") + "/" + resource
    if query:
        url += "?" + urllib.parse.urlencode(query)
    headers = {"X-Experience-API-Version": XAPI_VERSION, "Accept": "application/json"}
    data = None
    if payload is not None:
        data = json.dumps(payload).encode()
        headers["Content-Type"] = "application/json"
    if authenticate:
        pair = f"{connection.key}:{connection.secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    target = _target(url)
    http_connection = _Https(target) if target.https else _Http(target)
    try:
        http_connection.request(method, target.path, body=data, headers=headers)
        response = http_connection.getresponse()
        return Reply(response.status, response.read())
    except (OSError, http.client.HTTPException) as error:
        reason = str(error) or type(error).__name__
        raise LrsUnavailableError(reason[:ERROR_LENGTH]) from error
    finally:
        http_connection.close()


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str


def lrs_check(connection: LrsConnection) -> CheckResult:
    """Ask the LRS ``/about`` for its xAPI versions, then whether the key and secret may read
    statements (``/about`` needs no credentials, so it cannot tell)."""
    try:
        about = lrs_request(connection, "GET", "about", authenticate=False)
        probe = lrs_request(connection, "GET", "statements", query={"limit": "1"})
    except LrsUnavailableError as error:
        return CheckResult(False, _("The LRS cannot be reached: %(error)s") % {"error": error})
    versions: list[str] = []
    if about.status == HTTPStatus.OK:
        try:
            versions = [str(v) for v in json.loads(about.body).get("version", [])]
        except (ValueError, AttributeError):
            versions = []
    if probe.status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
        return CheckResult(False, _("The LRS refuses the key and secret."))
    if probe.status != HTTPStatus.OK:
        return CheckResult(
            False,
            _("The LRS answered %(status)s to a request for statements; check the endpoint.")
            % {"status": probe.status},
        )
    if versions:
        return CheckResult(
            True,
            _("The connection works. The LRS speaks xAPI %(versions)s.")
            % {"versions": ", ".join(versions)},
        )
    return CheckResult(
        True, _("The connection works (the LRS does not say which xAPI versions it speaks).")
    )


# Sending ---------------------------------------------------------------------------------------


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed try: 1, 2, 4 ... minutes, at most 6 hours."""
    return min(FIRST_DELAY * 2 ** max(attempts - 1, 0), LONGEST_DELAY)


def _claim(organisation_id: int, now: dt.datetime) -> list[XapiStatement]:
    """Due queued statements, leased to this worker so another one does not send them too."""
    with transaction.atomic():
        ids = list(
            XapiStatement.objects.select_for_update(skip_locked=True)
            .filter(
                organisation_id=organisation_id,
                status=StatementStatus.QUEUED,
                next_attempt_at__lte=now,
            )
            .order_by("created_at", "id")
            .values_list("pk", flat=True)[:BATCH_SIZE]
        )
        XapiStatement.objects.filter(pk__in=ids).update(next_attempt_at=now + LEASE)
    return list(XapiStatement.objects.filter(pk__in=ids).order_by("created_at", "id"))


def _deliver(connection: LrsConnection, batch: list[XapiStatement]) -> dict[int, tuple[str, str]]:
    """Send a batch; returns per row (outcome, error) with outcome sent, failed or retry.

    The batch goes in one POST. When the LRS refuses the batch as a whole (400, 409, 413, 422),
    each statement is put on its own with PUT ?statementId=, so one bad statement does not hold
    up the others: 204 is stored, 409 means the LRS holds a different statement with this id,
    400 (or 422, what LRSs built on FastAPI such as Ralph answer) that it refuses the statement.
    """
    try:
        reply = lrs_request(
            connection, "POST", "statements", payload=[row.statement for row in batch]
        )
    except LrsUnavailableError as error:
        return {row.pk: ("retry", str(error)) for row in batch}
    if reply.status in (HTTPStatus.OK, HTTPStatus.NO_CONTENT):
        return {row.pk: ("sent", "") for row in batch}
    if reply.status not in (*REFUSED, HTTPStatus.CONFLICT, HTTPStatus.REQUEST_ENTITY_TOO_LARGE):
        message = _("The LRS answered %(status)s: %(body)s") % {
            "status": reply.status,
            "body": reply.text,
        }
        return {row.pk: ("retry", message) for row in batch}
    outcomes: dict[int, tuple[str, str]] = {}
    for row in batch:
        try:
            single = lrs_request(
                connection,
                "PUT",
                "statements",
                query={"statementId": str(row.statement_id)},
                payload=row.statement,
            )
        except LrsUnavailableError as error:
            outcomes[row.pk] = ("retry", str(error))
            continue
        if single.status in (HTTPStatus.OK, HTTPStatus.NO_CONTENT):
            outcomes[row.pk] = ("sent", "")
        elif single.status == HTTPStatus.CONFLICT:
            outcomes[row.pk] = (
                "failed",
                _("The LRS holds a different statement with this id: %(body)s")
                % {"body": single.text},
            )
        elif single.status in REFUSED:
            outcomes[row.pk] = (
                "failed",
                _("The LRS refused the statement: %(body)s") % {"body": single.text},
            )
        else:
            outcomes[row.pk] = (
                "retry",
                _("The LRS answered %(status)s: %(body)s")
                % {"status": single.status, "body": single.text},
            )
    return outcomes


def statements_send(*, organisation_id: int, now: dt.datetime | None = None) -> dict[str, int]:
    """Send the organisation's due statements, batch after batch, until none is due or the LRS
    fails; returns how many were sent, refused and left queued. Run by the send task."""
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    connection = _enabled(organisation_id)
    if connection is None:
        return {"sent": 0, "failed": 0, "retry": 0}
    while True:
        batch = _claim(organisation_id, now)
        if not batch:
            break
        outcomes = _deliver(connection, batch)
        retry_at = None
        for row in batch:
            outcome, error = outcomes[row.pk]
            counts[outcome] += 1
            row.attempts += 1
            row.last_error = error[:ERROR_LENGTH]
            if outcome == "sent":
                row.status = StatementStatus.SENT
                row.sent_at = row.next_attempt_at = timezone.now()
            elif outcome == "failed":
                row.status = StatementStatus.FAILED
                row.next_attempt_at = timezone.now()
            else:
                row.next_attempt_at = now + backoff(row.attempts)
                retry_at = min(retry_at or row.next_attempt_at, row.next_attempt_at)
        XapiStatement.objects.bulk_update(
            batch, ["status", "attempts", "last_error", "sent_at", "next_attempt_at"]
        )
        if retry_at is not None:
            logger.warning("xAPI statements of organisation %s wait for the LRS", organisation_id)
            transaction.on_commit(partial(enqueue_send, organisation_id, at=retry_at))
            break
    return {"sent": counts["sent"], "failed": counts["failed"], "retry": counts["retry"]}


def statements_resend(*, now: dt.datetime) -> dict[str, int]:
    """The periodic job ``xapi``: send every organisation's statements that are due."""
    organisations = set(
        XapiStatement.objects.filter(
            status=StatementStatus.QUEUED,
            next_attempt_at__lte=now,
            organisation__lrs_connection__is_enabled=True,
        )
        .values_list("organisation_id", flat=True)
        .distinct()
    )
    totals: Counter[str] = Counter()
    for organisation_id in sorted(organisations):
        totals.update(statements_send(organisation_id=organisation_id, now=now))
    return {
        "organisations": len(organisations),
        **{k: totals[k] for k in ("sent", "failed", "retry")},
    }


# Configuration (HR) -------------------------------------------------------------------------------


def statement_counts(organisation: Organisation) -> dict[str, int]:
    """How many of the organisation's statements are queued, sent and failed (one query)."""
    rows = (
        XapiStatement.objects.filter(organisation=organisation)
        .values("status")
        .annotate(n=Count("id"))
    )
    counts = dict.fromkeys(StatementStatus.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def last_error(organisation: Organisation) -> str:
    """The latest error of a statement that is still waiting, if any."""
    row = (
        XapiStatement.objects.filter(organisation=organisation, status=StatementStatus.QUEUED)
        .exclude(last_error="")
        .order_by("-attempts", "-id")
        .values_list("last_error", flat=True)
        .first()
    )
    return row or ""


@transaction.atomic
def lrs_connection_save(
    *,
    organisation: Organisation,
    actor: Actor,
    endpoint: str,
    key: str,
    secret: str,
    is_enabled: bool,
) -> LrsConnection:
    """Create or change the organisation's LRS. An empty ``secret`` keeps the stored one, so
    the page never has to show it; the audit line says only whether it changed."""
    connection = LrsConnection.objects.filter(organisation=organisation).first()
    created = connection is None
    if connection is None:
        connection = LrsConnection(organisation=organisation)
    connection.endpoint = endpoint.strip().rstrip("/") + "/"
    connection.key = key.strip()
    if secret:
        connection.secret = secret
    connection.is_enabled = is_enabled
    connection.full_clean()
    connection.save()
    audit_log(
        organisation=organisation,
        actor=actor,
        action="xapi.configure",
        target=connection,
        details={
            "endpoint": connection.endpoint,
            "key": connection.key,
            "enabled": is_enabled,
            "created": created,
            "secret_changed": bool(secret),
        },
    )
    if is_enabled:
        transaction.on_commit(lambda: enqueue_send(organisation.pk))
    return connection


@transaction.atomic
def statements_retry_failed(*, organisation: Organisation, actor: Actor) -> int:
    """Queue the refused statements again (after the LRS or its configuration was fixed)."""
    count = XapiStatement.objects.filter(
        organisation=organisation, status=StatementStatus.FAILED
    ).update(status=StatementStatus.QUEUED, next_attempt_at=timezone.now())
    audit_log(
        organisation=organisation,
        actor=actor,
        action="xapi.retry_failed",
        details={"statements": count},
    )
    if count:
        transaction.on_commit(lambda: enqueue_send(organisation.pk))
    return count
