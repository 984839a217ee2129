"""Isolation within one organisation: nobody reaches a colleague's personal objects by URL.

The cross-organisation walk (``test_isolation``) fills every URL parameter with an object of
another organisation. This one fills the parameters that name something of ONE PERSON (their
employee record, plan, journal entry, practice card, pulse check, badge, questionnaire, ...)
with objects of a colleague in the SAME organisation, and requests each such URL (GET and POST)
as every kind of member who may not see that colleague's things. Every answer must be 403, 404
or 405 (the view does not take the method) and must not contain the colleague's name.

The organisation's policy is set to the strictest values (managers and HR see no individual
results, whatever the employee consented to), so what is still visible is visible by design:
those few (viewer, URL) pairs are listed in ``LEGITIMATE`` with the reason.

Every URL parameter must be in ``PERSONAL`` (how to build the colleague's object) or in
``SHARED`` (why it names no one's personal object); the test fails for a parameter in neither,
so a new view cannot escape this check.
"""

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import pytest
from django.test import Client
from django.urls import reverse

from vakwerk.accounts.services import totp_enrol
from vakwerk.assessments.models import Invitation, Round, RoundStatus, Source, Subject
from vakwerk.badges.models import Badge
from vakwerk.conftest import TOTP_SECRET
from vakwerk.development.models import Activity, ActivityFormat, LearningCategory, Plan, PlanItem
from vakwerk.frameworks.models import Competency, RoleProfile
from vakwerk.measurement.models import PulseCheck
from vakwerk.nudges.models import Notification, NotificationKind
from vakwerk.organisations.models import ManagerVisibility, Organisation, Role
from vakwerk.people.models import Employee, Team
from vakwerk.practice.models import Attempt, Card, JournalEntry, ScenarioFamily, ScenarioVariant
from vakwerk.tests.factories import (
    EmployeeFactory,
    MembershipFactory,
    RoundFactory,
    TeamFactory,
)
from vakwerk.tests.test_isolation import PARAMETRISED, vakwerk_patterns

pytestmark = pytest.mark.django_db

# The colleague's last name, and part of every text of theirs: it must never appear in an answer.
MARKER = "Buitenstaander"
# Also in the texts only the colleague reads (journal, reflection): no page without a URL
# parameter (lists, overviews, exports) may show it to anyone else either.
PRIVATE = "Dagboekgeheim"


class Colleague:
    """A colleague in organisation A and, built on first use, their personal objects."""

    def __init__(self, organisation: Organisation, team: Team, manager: Employee) -> None:
        self.organisation = organisation
        membership = MembershipFactory(organisation=organisation, roles=[Role.EMPLOYEE])
        self.user = membership.user
        self.user.last_name = MARKER
        self.user.save(update_fields=["last_name"])
        # Consent given to both: the organisation's policy ("no") must win over it.
        self.employee = EmployeeFactory(
            organisation=organisation,
            user=self.user,
            first_name="Bea",
            last_name=MARKER,
            team=team,
            manager=manager,
            shares_results_with_manager=True,
            shares_results_with_hr=True,
        )

    @cached_property
    def round(self) -> Round:
        return RoundFactory(
            organisation=self.organisation,
            status=RoundStatus.OPEN,
            use_peers=True,
            use_external=True,
            use_sjt=True,
        )

    @cached_property
    def subject(self) -> Subject:
        return Subject.objects.create(round=self.round, employee=self.employee)

    @cached_property
    def invitation(self) -> Invitation:
        """The colleague's own questionnaire (their self-assessment)."""
        return Invitation.objects.create(
            subject=self.subject, source=Source.SELF, rater=self.employee
        )

    @cached_property
    def activity(self) -> Activity:
        """Catalogue entries are shared; the plan item pointing at one is personal."""
        return Activity.objects.create(
            organisation=self.organisation,
            code="gedeeld-gesprek",
            title="Gesprek met een collega",
            description="x",
            format=ActivityFormat.PEER,
            category=LearningCategory.SOCIAL,
            competency_codes=["AV-EMP"],
            minutes=30,
            why_daily="x",
            why_career="x",
        )

    @cached_property
    def plan(self) -> Plan:
        return Plan.objects.create(
            organisation=self.organisation,
            employee=self.employee,
            manager_comment=f"Opmerking over {MARKER}",
        )

    @cached_property
    def plan_item(self) -> PlanItem:
        return PlanItem.objects.create(
            plan=self.plan, activity=self.activity, reflection=f"Reflectie van {MARKER}: {PRIVATE}"
        )

    @cached_property
    def family(self) -> ScenarioFamily:
        family = ScenarioFamily.objects.create(
            organisation=self.organisation,
            code="gedeeld-scenario",
            title="Een boze burger",
            summary="x",
            competency_codes=["AV-EMP"],
        )
        ScenarioVariant.objects.create(family=family, code="v1", title="Aan de balie", graph={})
        return family

    @cached_property
    def card(self) -> Card:
        return Card.objects.create(
            organisation=self.organisation,
            employee=self.employee,
            family=self.family,
            competency_code="AV-EMP",
            due=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        )

    @cached_property
    def attempt(self) -> Attempt:
        return Attempt.objects.create(
            organisation=self.organisation,
            employee=self.employee,
            variant=self.family.variants.get(),
            node="n0",
        )

    @cached_property
    def journal_entry(self) -> JournalEntry:
        return JournalEntry.objects.create(
            organisation=self.organisation,
            employee=self.employee,
            text=f"Wat {MARKER} vandaag merkte: {PRIVATE}",
        )

    @cached_property
    def notification(self) -> Notification:
        return Notification.objects.create(
            organisation=self.organisation,
            user=self.user,
            kind=NotificationKind.PLAN_TO_REVIEW,
            params={"name": f"{MARKER} {PRIVATE}"},
            url="/",
            key="plan_review:buitenstaander",
        )

    @cached_property
    def pulse(self) -> PulseCheck:
        return PulseCheck.objects.create(
            organisation=self.organisation,
            employee=self.employee,
            item_codes=["AV-EMP"],
            created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            due_at=dt.datetime(2026, 1, 15, tzinfo=dt.UTC),
        )

    @cached_property
    def badge(self) -> Badge:
        """An unshared badge (a shared one is public by design, see badges/tests)."""
        competency = Competency.objects.create(
            version=self.round.version,
            code="AV-EMP",
            kind="vakmanschap",
            name="Empathie",
            description="x",
            why_daily="x",
            why_career="x",
        )
        return Badge.objects.create(
            organisation=self.organisation,
            employee=self.employee,
            competency=competency,
            level=4.0,
            target_level=3,
            issued_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            jwt=f"{MARKER}.y.z",
        )


# URL parameters that name something of one person: how to get the colleague's.
PERSONAL: dict[str, Callable[[Colleague], str]] = {
    "employee_id": lambda c: str(c.employee.pk),
    "subject_id": lambda c: str(c.subject.pk),
    "invitation_id": lambda c: str(c.invitation.pk),
    "plan_id": lambda c: str(c.plan.pk),
    "item_id": lambda c: str(c.plan_item.pk),
    "card_id": lambda c: str(c.card.pk),
    "attempt_id": lambda c: str(c.attempt.pk),
    "entry_id": lambda c: str(c.journal_entry.pk),
    "notification_id": lambda c: str(c.notification.pk),
    "pulse_id": lambda c: str(c.pulse.pk),
    "badge_id": lambda c: str(c.badge.pk),
}

UNPARAMETRISED = [name for name, params in vakwerk_patterns() if not params]

# URL parameters that name no one's personal object, with the reason. Who may use these pages
# is a matter of role (HR, administrator, operator), checked by each app's own tests and, across
# organisations, by ``test_isolation``.
SHARED: dict[str, str] = {
    "fmt": "an export format, not an object",
    "slug": "an organisation (operator pages)",
    "name": "a background job's name (operator pages)",
    "round_id": "a round of the whole organisation; its pages show counts, never answers "
    "(its evidence export is checked in test_round_evidence_leaves_out_who_hr_may_not_see)",
    "job_id": "an import of the people register, done by HR",
    "version_id": "a framework version: the organisation's shared content",
    "competency_id": "a competency of a framework: shared content",
    "profile_id": "a role profile: shared content",
    "activity_id": "an entry of the learning catalogue: shared content",
    "family_id": "a practice scenario family: shared content",
    "variant_id": "a variant of a practice scenario: shared content",
    "exercise_id": "a practice exercise; the page shows only the viewer's own answers",
    "campaign_id": "a campaign of the whole organisation, run by HR",
    "token_id": "an organisation-wide API token, managed by the administrator",
    "token": "a secret link (external rater, unsubscribe): holding it is the permission, and "
    "it exists only in the mail to its holder",
}

# Values for shared parameters in a URL that also names a personal object; chosen so the view
# would answer with data if its lookup let the viewer through.
SHARED_VALUES = {"fmt": "jwt"}


@dataclass(frozen=True)
class Viewer:
    name: str
    roles: tuple[Role, ...]
    manages_colleague: bool = False
    operator: bool = False
    has_employee_record: bool = True


VIEWERS = (
    Viewer("employee", (Role.EMPLOYEE,)),
    Viewer("manager of another team", (Role.EMPLOYEE, Role.MANAGER)),
    Viewer("own manager", (Role.EMPLOYEE, Role.MANAGER), manages_colleague=True),
    Viewer("hr", (Role.EMPLOYEE, Role.HR)),
    Viewer("hr without employee record", (Role.HR,), has_employee_record=False),
    Viewer("administrator", (Role.EMPLOYEE, Role.ADMIN)),
    Viewer("every role", tuple(Role)),
    Viewer("operator", (Role.EMPLOYEE,), operator=True),
)

_HR_RECORD = (
    "HR keeps everyone's employment record (and may end it); under this policy the page "
    "shows no results"
)
_OWN_PLAN = (
    "the manager reviews their report's development plan; the levels in it stay hidden "
    "when the policy says no (development.views._plan)"
)
# (viewer, URL name) pairs that may see the colleague's object by design: not walked.
LEGITIMATE: dict[tuple[str, str], str] = {
    ("own manager", "questionnaires:approve"): "the manager approves who rates their report",
    ("own manager", "questionnaires:external"): "the manager invites external raters",
    ("own manager", "development:plan"): _OWN_PLAN,
    ("own manager", "development:plan_talk"): _OWN_PLAN,
    ("own manager", "development:plan_decide"): _OWN_PLAN,
    ("own manager", "development:guide"): _OWN_PLAN,
    ("own manager", "development:guide_pdf"): _OWN_PLAN,
    ("hr", "people:person"): _HR_RECORD,
    ("hr without employee record", "people:person"): _HR_RECORD,
    ("every role", "people:person"): _HR_RECORD,
}

WALKED = [(name, params) for name, params in PARAMETRISED if set(params) & set(PERSONAL)]


@dataclass
class Scene:
    colleague: Colleague
    clients: dict[str, Client]


@pytest.fixture
def scene(organisation: Organisation) -> Scene:
    organisation.manager_visibility = ManagerVisibility.NO
    organisation.hr_visibility = ManagerVisibility.NO
    organisation.save(update_fields=["manager_visibility", "hr_visibility"])
    team, other_team = (
        TeamFactory(organisation=organisation),
        TeamFactory(organisation=organisation),
    )
    clients: dict[str, Client] = {}
    records: dict[str, Employee] = {}
    for viewer in VIEWERS:
        membership = MembershipFactory(organisation=organisation, roles=viewer.roles)
        user = membership.user
        if viewer.operator:
            user.is_operator = True
            user.save(update_fields=["is_operator"])
        if viewer.operator or membership.needs_mfa:
            totp_enrol(user=user, secret=TOTP_SECRET)
        if viewer.has_employee_record:
            records[viewer.name] = EmployeeFactory(
                organisation=organisation,
                user=user,
                team=team if viewer.manages_colleague else other_team,
                # The plain employee reports to the manager of another team, who so is a real
                # manager, just not the colleague's.
                manager=records.get("manager of another team"),
            )
        client = Client()
        client.force_login(user)
        clients[viewer.name] = client
    colleague = Colleague(organisation, team, records["own manager"])
    return Scene(colleague=colleague, clients=clients)


def test_every_url_parameter_is_personal_or_shared():
    """A new URL parameter must be classified, or nothing checks what it opens."""
    params = {param for _name, found in PARAMETRISED for param in found}
    unknown = params - set(PERSONAL) - set(SHARED)
    assert not unknown, f"add {sorted(unknown)} to PERSONAL (with a builder) or SHARED (why)"
    assert not set(PERSONAL) & set(SHARED)
    assert WALKED, "no URL names a personal object: the walk would pass vacuously"


def test_the_exceptions_name_real_views_and_viewers():
    walked = {name for name, _params in WALKED}
    viewers = {viewer.name for viewer in VIEWERS}
    for viewer, url_name in LEGITIMATE:
        assert viewer in viewers, viewer
        assert url_name in walked, f"{url_name} is not walked: remove it from LEGITIMATE"


@pytest.mark.parametrize(("url_name", "params"), WALKED)
def test_a_colleagues_personal_objects_are_out_of_reach(scene: Scene, url_name, params):
    """Members who may not see the colleague's object get 404 (or 403 before any lookup);
    405 only means the view does not take that method."""
    missing = [p for p in params if p not in PERSONAL and p not in SHARED_VALUES]
    assert not missing, f"{url_name}: add {missing} to SHARED_VALUES"
    kwargs = {
        p: PERSONAL[p](scene.colleague) if p in PERSONAL else SHARED_VALUES[p] for p in params
    }
    url = reverse(url_name, kwargs=kwargs)
    statuses = set()
    for viewer in VIEWERS:
        if (viewer.name, url_name) in LEGITIMATE:
            continue
        client = scene.clients[viewer.name]
        for method in (client.get, client.post):
            response = method(url)
            where = f"{method.__name__.upper()} {url} as {viewer.name}"
            assert response.status_code in (403, 404, 405), (where, response.status_code)
            assert MARKER.encode() not in response.content, where
            statuses.add(response.status_code)
    if not any(name == url_name for _viewer, name in LEGITIMATE):
        assert 404 in statuses, f"{url}: no viewer reached the object lookup, nothing was checked"


@pytest.mark.parametrize("viewer", VIEWERS, ids=lambda viewer: viewer.name)
def test_pages_without_parameters_never_show_a_colleagues_private_texts(scene: Scene, viewer):
    """Lists, overviews and exports: the colleague's name may be listed (HR's register, a
    peer picker), the texts only they read never are."""
    for build in PERSONAL.values():
        build(scene.colleague)
    client = scene.clients[viewer.name]
    for url_name in UNPARAMETRISED:
        response = client.get(reverse(url_name))
        assert PRIVATE.encode() not in response.content, f"{url_name} as {viewer.name}"


# --- the check can fail: the people who may see these objects do get them ------------------


def test_the_colleague_sees_their_own_objects_so_the_walk_can_fail(scene: Scene):
    colleague = scene.colleague
    client = Client()
    client.force_login(colleague.user)
    plan = client.get(reverse("development:plan", kwargs={"plan_id": colleague.plan.pk}))
    assert plan.status_code == 200
    assert MARKER.encode() in plan.content
    badge = client.get(
        reverse("badges:download", kwargs={"badge_id": colleague.badge.pk, "fmt": "jwt"})
    )
    assert badge.status_code == 200
    assert MARKER.encode() in badge.content
    assert colleague.journal_entry.pk
    journal = client.get(reverse("bank:journal"))
    assert PRIVATE.encode() in journal.content, "the walk over pages without parameters"
    questionnaire = client.get(
        reverse("questionnaires:answer", kwargs={"invitation_id": colleague.invitation.pk})
    )
    assert questionnaire.status_code == 200


def test_the_legitimate_exceptions_do_see_the_colleague(scene: Scene):
    colleague = scene.colleague
    manager = scene.clients["own manager"].get(
        reverse("development:plan", kwargs={"plan_id": colleague.plan.pk})
    )
    assert manager.status_code == 200
    assert MARKER.encode() in manager.content
    record = scene.clients["hr"].get(
        reverse("people:person", kwargs={"employee_id": colleague.employee.pk})
    )
    assert record.status_code == 200
    assert MARKER.encode() in record.content


def test_with_the_policy_open_hr_sees_the_plan(scene: Scene):
    """The 404s above come from the policy, not from a view that refuses everyone."""
    organisation = scene.colleague.organisation
    organisation.hr_visibility = ManagerVisibility.YES
    organisation.save(update_fields=["hr_visibility"])
    response = scene.clients["hr"].get(
        reverse("development:plan", kwargs={"plan_id": scene.colleague.plan.pk})
    )
    assert response.status_code == 200
    assert MARKER.encode() in response.content


# --- a shared parameter whose page holds individual answers: a round's evidence export ------


def _evidence(client: Client, round_id: int) -> list[dict[str, str]]:
    response = client.get(reverse("evidence:round", kwargs={"round_id": round_id}))
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize(
    ("policy", "consent", "visible"),
    [
        (ManagerVisibility.NO, True, False),
        (ManagerVisibility.CONSENT, False, False),
        (ManagerVisibility.CONSENT, True, True),
        (ManagerVisibility.YES, False, True),
    ],
)
def test_round_evidence_leaves_out_who_hr_may_not_see(
    member_client, organisation, framework_version, policy, consent, visible
):
    """The evidence CSV holds each person's answers under their employee number: HR gets
    only the people whose individual results the policy lets HR see."""
    from vakwerk.assessments import services
    from vakwerk.audit.services import Actor

    actor = Actor(user=None)
    organisation.hr_visibility = policy
    organisation.save(update_fields=["hr_visibility"])
    team = TeamFactory(organisation=organisation)
    profile = RoleProfile.objects.get(organisation=organisation, code="beleidsadviseur")
    colleague = EmployeeFactory(
        organisation=organisation,
        team=team,
        role_profile=profile,
        employee_number="BUITEN-1",
        last_name=MARKER,
        shares_results_with_hr=consent,
    )
    other = EmployeeFactory(
        organisation=organisation,
        team=team,
        role_profile=profile,
        employee_number="ANDER-1",
        shares_results_with_hr=True,
    )
    round_ = RoundFactory(
        organisation=organisation, version=framework_version, use_peers=False, use_sjt=False
    )
    services.round_open(round_=round_, actor=actor)
    for person in (colleague, other):
        invitation = Invitation.objects.get(subject__round=round_, rater=person)
        for item in services.invitation_items(invitation):
            services.answer_save(invitation=invitation, indicator=item, value=3)
        services.invitation_complete(invitation=invitation, actor=actor)
    services.round_close(round_=round_, actor=actor)
    client, _ = member_client(organisation, Role.HR)
    people = {row["person"] for row in _evidence(client, round_.pk)}
    assert ("ANDER-1" in people) == (policy != ManagerVisibility.NO)
    assert ("BUITEN-1" in people) == visible
