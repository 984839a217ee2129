"""Organisation isolation: nobody reaches another organisation's objects by URL.

Walks every URL pattern of Vakwerk's own apps that takes a parameter, fills the parameters with
objects of organisation B, and requests each as every role of organisation A. Every answer must
be 404 and must not contain B's data. A new URL parameter must be added to ``PARAMETERS``; the
test fails until it is, so no view escapes this check.
"""

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from vakwerk.api.models import ApiToken
from vakwerk.assessments.models import Invitation, Round, Source, Subject
from vakwerk.assessments.services import hash_token
from vakwerk.badges.models import Badge
from vakwerk.development.models import Activity, ActivityFormat, LearningCategory, Plan, PlanItem
from vakwerk.frameworks.models import Competency, Framework, FrameworkVersion, RoleProfile
from vakwerk.measurement.models import PulseCheck
from vakwerk.nudges.models import Campaign, Notification, NotificationKind
from vakwerk.organisations.models import Organisation, Role
from vakwerk.people.models import ImportJob
from vakwerk.practice.models import (
    Attempt,
    Card,
    Exercise,
    JournalEntry,
    ScenarioFamily,
    ScenarioVariant,
)
from vakwerk.tests.factories import EmployeeFactory, MembershipFactory

pytestmark = pytest.mark.django_db

VAKWERK_NAMESPACES = {
    "shell",
    "organisations",
    "people",
    "audit",
    "accounts",
    "frameworks",
    "framework_case",
    "rounds",
    "questionnaires",
    "sjt",
    "evidence",
    "insights",
    "catalogue",
    "development",
    "practice",
    "scenarios",
    "bank",
    "jobs",
    "campaigns",
    "notifications",
    "pulses",
    "privacy",
    "api_tokens",
    "xapi",
    # The employee's own badge pages. Not "badges_public": those are public by design (shared
    # badges, issuer keys, revocation status) and checked in badges/tests/test_public.py.
    "badges",
}


def _round(other: Organisation) -> Round:
    version = FrameworkVersion.objects.filter(framework__organisation=other).first()
    return Round.objects.create(
        organisation=other,
        name="Ronde van B",
        version=version or _version(other),
        opens_on=dt.date(2026, 1, 1),
        closes_on=dt.date(2026, 2, 1),
        anonymity_threshold=3,
    )


def _version(other: Organisation) -> FrameworkVersion:
    framework = Framework.objects.create(organisation=other, name="Kader van B")
    return FrameworkVersion.objects.create(framework=framework, number=1)


def _competency(other: Organisation) -> Competency:
    version = FrameworkVersion.objects.filter(framework__organisation=other).first()
    return Competency.objects.create(
        version=version or _version(other),
        code="B-GEHEIM",
        kind="kernwaarde",
        name="Geheimhouder",
        description="x",
        why_daily="x",
        why_career="x",
    )


# How to fill each URL parameter from organisation B.
def _activity(other: Organisation) -> Activity:
    return Activity.objects.get_or_create(
        organisation=other,
        code="b-geheim",
        defaults={
            "title": "Geheimhouder",
            "description": "x",
            "format": ActivityFormat.PEER,
            "category": LearningCategory.SOCIAL,
            "competency_codes": ["B-GEHEIM"],
            "minutes": 30,
            "why_daily": "x",
            "why_career": "x",
        },
    )[0]


def _card(other: Organisation) -> Card:
    family, _ = ScenarioFamily.objects.get_or_create(
        organisation=other,
        code="b-geheim",
        defaults={"title": "Geheimhouder", "summary": "x", "competency_codes": ["B-GEHEIM"]},
    )
    ScenarioVariant.objects.get_or_create(
        family=family,
        code="b-geheim",
        defaults={"title": "Geheimhouder", "setting": "x", "graph": {}},
    )
    return Card.objects.create(
        organisation=other,
        employee=EmployeeFactory(organisation=other, last_name="Geheimhouder"),
        family=family,
        competency_code="B-GEHEIM",
        due=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )


def _exercise(other: Organisation) -> Exercise:
    return Exercise.objects.get_or_create(
        organisation=other,
        code="b-geheim",
        defaults={"kind": "judgement", "competency_code": "AV-EMP", "content": {}},
    )[0]


def _notification(other: Organisation) -> Notification:
    """A notification of someone in B, about one of B's people."""
    return Notification.objects.create(
        organisation=other,
        user=MembershipFactory(organisation=other).user,
        kind=NotificationKind.PLAN_TO_REVIEW,
        params={"name": "Geheimhouder"},
        url="/",
        key="plan_review:geheim",
    )


def _plan(other: Organisation) -> Plan:
    employee = EmployeeFactory(organisation=other, last_name="Geheimhouder")
    return Plan.objects.create(organisation=other, employee=employee)


def _badge(other: Organisation) -> Badge:
    """An unshared badge of someone in B (shared ones are public by design)."""
    competency = Competency.objects.filter(
        version__framework__organisation=other, code="B-GEHEIM"
    ).first()
    return Badge.objects.create(
        organisation=other,
        employee=EmployeeFactory(organisation=other, last_name="Geheimhouder"),
        competency=competency or _competency(other),
        level=4.0,
        target_level=3,
        issued_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        jwt="x.y.z",
    )


PARAMETERS: dict[str, Callable[[Organisation], str]] = {
    "fmt": lambda other: "csv",  # an export format, not an object: B's data comes via the rest
    "slug": lambda other: other.slug,
    "round_id": lambda other: str(_round(other).pk),
    "job_id": lambda other: str(
        ImportJob.objects.create(organisation=other, file_name="geheim.csv").pk
    ),
    "version_id": lambda other: str(_version(other).pk),
    "competency_id": lambda other: str(_competency(other).pk),
    "profile_id": lambda other: str(
        RoleProfile.objects.create(organisation=other, code="b-rol", name="Geheimhouder").pk
    ),
    "employee_id": lambda other: str(
        EmployeeFactory(organisation=other, last_name="Geheimhouder").pk
    ),
    # Operator pages: no organisation role reaches them (404 for all).
    "name": lambda other: "pulses",
    "activity_id": lambda other: str(_activity(other).pk),
    "plan_id": lambda other: str(_plan(other).pk),
    "card_id": lambda other: str(_card(other).pk),
    "family_id": lambda other: str(_card(other).family_id),
    "exercise_id": lambda other: str(_exercise(other).pk),
    "entry_id": lambda other: str(
        JournalEntry.objects.create(
            organisation=other,
            employee=EmployeeFactory(organisation=other, last_name="Geheimhouder"),
            text="Geheimhouder",
        ).pk
    ),
    "variant_id": lambda other: str(_card(other).family.variants.get().pk),
    "attempt_id": lambda other: str(
        Attempt.objects.create(
            organisation=other,
            employee=EmployeeFactory(organisation=other, last_name="Geheimhouder"),
            variant=_card(other).family.variants.get(),
            node="n0",
        ).pk
    ),
    "item_id": lambda other: str(
        PlanItem.objects.create(plan=_plan(other), activity=_activity(other)).pk
    ),
    "subject_id": lambda other: str(
        Subject.objects.create(
            round=_round(other),
            employee=EmployeeFactory(organisation=other, last_name="Geheimhouder"),
        ).pk
    ),
    "invitation_id": lambda other: str(
        Invitation.objects.create(
            subject=(
                subject := Subject.objects.create(
                    round=_round(other),
                    employee=EmployeeFactory(organisation=other, last_name="Geheimhouder"),
                )
            ),
            source=Source.SELF,
            rater=subject.employee,
        ).pk
    ),
    "campaign_id": lambda other: str(
        Campaign.objects.create(
            organisation=other,
            title="Geheimhouder",
            competency_codes=["B-GEHEIM"],
            starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2026, 2, 1),
        ).pk
    ),
    "notification_id": lambda other: str(_notification(other).pk),
    "token_id": lambda other: str(
        ApiToken.objects.create(
            organisation=other, name="Geheimhouder", prefix="b0b0b0b0b0b0", secret_hash="0" * 64
        ).pk
    ),
    "badge_id": lambda other: str(_badge(other).pk),
    "pulse_id": lambda other: str(
        PulseCheck.objects.create(
            organisation=other,
            employee=EmployeeFactory(organisation=other, last_name="Geheimhouder"),
            item_codes=["B-GEHEIM"],
            created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            due_at=dt.datetime(2026, 1, 15, tzinfo=dt.UTC),
        ).pk
    ),
    # A valid external link of B: people logged in to A get 404 even with the right token.
    # (The same parameter of the unsubscribe link gets it too: not a signed token, so 404.)
    "token": lambda other: (
        Invitation.objects.create(
            subject=Subject.objects.create(
                round=_round(other),
                employee=EmployeeFactory(organisation=other, last_name="Geheimhouder"),
            ),
            source=Source.EXTERNAL,
            external_name="Geheimhouder",
            token_hash=hash_token("extern-link-van-organisatie-b"),
        ),
        "extern-link-van-organisatie-b",
    )[1],
}


def vakwerk_patterns() -> Iterator[tuple[str, list[str]]]:
    def walk(patterns: list, namespace: str | None) -> Iterator[tuple[str, list[str]]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and namespace in VAKWERK_NAMESPACES:
                yield f"{namespace}:{pattern.name}", list(pattern.pattern.regex.groupindex)

    yield from walk(get_resolver().url_patterns, None)


PARAMETRISED = [(name, params) for name, params in vakwerk_patterns() if params]


def test_the_walk_finds_parametrised_patterns():
    assert PARAMETRISED, "the URL walk found nothing: the check would pass vacuously"


@pytest.mark.parametrize(("url_name", "params"), PARAMETRISED)
def test_objects_of_another_organisation_are_404(
    member_client, organisation, other_organisation, url_name, params
):
    """Roles that may use the view get 404 for B's objects; the others are refused (403)
    before any lookup. 405 only means the view does not take that method."""
    missing = [param for param in params if param not in PARAMETERS]
    assert not missing, f"{url_name}: add {missing} to PARAMETERS so isolation is checked"
    EmployeeFactory(organisation=other_organisation, last_name="Geheimhouder")
    url = reverse(url_name, kwargs={p: PARAMETERS[p](other_organisation) for p in params})
    statuses = set()
    for role in Role:
        client, _ = member_client(organisation, role)
        for method in (client.get, client.post):
            response = method(url)
            where = f"{method.__name__.upper()} {url} as {role}"
            assert response.status_code in (403, 404, 405), where
            assert other_organisation.name.encode() not in response.content, where
            assert b"Geheimhouder" not in response.content, where
            statuses.add(response.status_code)
    assert 404 in statuses, f"{url}: no role reached the object lookup, so nothing was checked"


@pytest.mark.parametrize("role", list(Role))
def test_lists_never_show_another_organisations_people(
    member_client, organisation, other_organisation, role
):
    EmployeeFactory(organisation=other_organisation, last_name="Geheimhouder")
    EmployeeFactory(organisation=organisation, last_name="Collega")
    client, _ = member_client(organisation, role)
    for url_name, params in vakwerk_patterns():
        if params:
            continue
        response = client.get(reverse(url_name))
        assert b"Geheimhouder" not in response.content, url_name
        assert other_organisation.name.encode() not in response.content, url_name


def test_hr_does_see_their_own_people_so_the_check_above_can_fail(member_client, organisation):
    EmployeeFactory(organisation=organisation, last_name="Collega")
    client, _ = member_client(organisation, Role.HR)
    assert b"Collega" in client.get(reverse("people:employees")).content
