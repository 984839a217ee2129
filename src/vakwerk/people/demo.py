"""Deterministic demo organisations: Gemeente Voorbeeld (about 300 people) and Gemeente Anders.

Running it again changes nothing: everything is keyed on fixed slugs, names and emails.
"""

import itertools
import random
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from faker import Faker

from vakwerk.accounts.models import User
from vakwerk.accounts.services import totp_enrol
from vakwerk.organisations.models import Membership, Organisation
from vakwerk.people.models import Department, Employee, Team

OPERATOR_EMAIL = "beheerder@vakwerk.demo"
SHARED_EMAIL = "gedeeld@vakwerk.demo"


@dataclass(frozen=True)
class DemoOrganisation:
    slug: str
    name: str
    departments: dict[str, dict[str, list[str]]]  # department -> team -> job titles
    team_size: int
    seed: int
    # The privacy policy for managers: "yes" in one demo, "consent" (half agree) in the other.
    manager_visibility: str = "consent"


VOORBEELD = DemoOrganisation(
    slug="voorbeeld",
    name="Gemeente Voorbeeld",
    seed=2026,
    team_size=21,
    manager_visibility="yes",
    departments={
        "Publiekszaken": {
            "Burgerzaken Balie": ["Baliemedewerker Burgerzaken", "Medewerker Burgerzaken"],
            "Klantcontactcentrum": ["Medewerker KCC", "Klantadviseur"],
            "Vergunningen": ["Vergunningverlener", "Juridisch medewerker"],
            "Toezicht en Handhaving": ["Handhaver", "Boa", "Toezichthouder"],
        },
        "Ruimte": {
            "Ruimtelijke Ordening": ["Beleidsadviseur ruimtelijke ordening", "Planoloog"],
            "Wonen": ["Beleidsadviseur wonen", "Projectleider woningbouw"],
            "Mobiliteit": ["Verkeerskundige", "Beleidsadviseur mobiliteit"],
            "Openbare Ruimte": ["Wijkbeheerder", "Medewerker openbare ruimte"],
        },
        "Sociaal Domein": {
            "Wijkteams": ["Wijkcoach", "Consulent Wmo"],
            "Werk en Inkomen": ["Klantmanager", "Consulent werk en inkomen"],
            "Jeugd en Onderwijs": ["Beleidsadviseur jeugd", "Leerplichtambtenaar"],
        },
        "Bedrijfsvoering": {
            "HR en Organisatieontwikkeling": ["HR-adviseur", "Adviseur L&D"],
            "Financien": ["Financieel adviseur", "Controller"],
            "Informatievoorziening": ["Informatieadviseur", "Privacy officer"],
        },
    },
)

ANDERS = DemoOrganisation(
    slug="anders",
    name="Gemeente Anders",
    seed=7,
    team_size=14,
    departments={
        "Dienstverlening": {
            "Publiekszaken": ["Baliemedewerker", "Medewerker KCC"],
        },
        "Beleid": {
            "Beleid en Advies": ["Beleidsadviseur", "Jurist"],
        },
        "Bedrijfsvoering": {
            "Bedrijfsvoering": ["HR-adviseur", "Financieel adviseur"],
        },
    },
)


@dataclass
class SeedReport:
    organisation: Organisation
    created: int
    logins: list[str]


def fixed_logins(slug: str) -> dict[str, str]:
    return {role: f"{role}@{slug}.demo" for role in ("hr", "manager", "medewerker")}


@transaction.atomic
def seed_organisation(spec: DemoOrganisation) -> SeedReport:
    organisation, _ = Organisation.objects.get_or_create(
        slug=spec.slug, defaults={"name": spec.name, "manager_visibility": spec.manager_visibility}
    )
    logins = fixed_logins(spec.slug)
    if Employee.objects.filter(organisation=organisation).exists():
        return SeedReport(organisation, 0, list(logins.values()))

    fake = Faker("nl_NL")
    fake.seed_instance(spec.seed)
    rng = random.Random(spec.seed)
    password = make_password(settings.DEMO_PASSWORD)
    people: list[tuple[Employee, dict[str, bool]]] = []
    team_leaders: dict[str, Employee] = {}
    department_heads: list[Employee] = []
    used_emails: set[str] = set(logins.values())
    numbers = itertools.count(10001)

    def person(email: str | None, job_title: str, team: Team | None) -> Employee:
        first, last = fake.first_name(), fake.last_name()
        if email is None:
            local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
            email = f"{local}@{spec.slug}.demo"
            suffix = 2
            while email in used_emails:
                email = f"{local}{suffix}@{spec.slug}.demo"
                suffix += 1
        used_emails.add(email)
        return Employee(
            organisation=organisation,
            employee_number=f"{next(numbers):05d}",
            first_name=first,
            last_name=last,
            email=email,
            job_title=job_title,
            team=team,
            start_date=fake.date_between(start_date="-25y", end_date="-1m"),
        )

    departments_by_head: list[tuple[Department, Employee]] = []
    first_team = True
    for department_name, teams in spec.departments.items():
        department = Department.objects.create(organisation=organisation, name=department_name)
        head = person(None, f"Afdelingshoofd {department_name}", None)
        departments_by_head.append((department, head))
        department_heads.append(head)
        people.append((head, {"is_manager": True}))
        for team_name, titles in teams.items():
            team = Team.objects.create(
                organisation=organisation, department=department, name=team_name
            )
            leader_email = logins["manager"] if first_team else None
            leader = person(leader_email, f"Teamleider {team_name}", team)
            leader.manager = head
            team_leaders[team_name] = leader
            people.append((leader, {"is_manager": True}))
            for index in range(spec.team_size - 1 + rng.randint(-3, 3)):
                email = logins["medewerker"] if first_team and index == 0 else None
                member = person(email, rng.choice(titles), team)
                member.manager = leader
                member.shares_results_with_manager = index % 2 == 0
                roles = {}
                is_hr_team = "HR" in team_name or team_name == "Bedrijfsvoering"
                if is_hr_team and index == 0:
                    member.email = logins["hr"]
                    used_emails.add(member.email)
                    member.job_title = titles[0]
                    roles = {"is_hr": True}
                people.append((member, roles))
            first_team = False

    users = User.objects.bulk_create(
        User(email=e.email, first_name=e.first_name, last_name=e.last_name, password=password)
        for e, _ in people
    )
    for (employee, _roles), user in zip(people, users, strict=True):
        employee.user = user
    # Managers must exist before the people who point at them.
    Employee.objects.bulk_create(department_heads)
    Employee.objects.bulk_create(team_leaders.values())
    leaders = {id(e) for e in department_heads} | {id(e) for e in team_leaders.values()}
    Employee.objects.bulk_create(e for e, _ in people if id(e) not in leaders)
    Membership.objects.bulk_create(
        Membership(user=employee.user, organisation=organisation, **roles)
        for employee, roles in people
    )
    for department, head in departments_by_head:
        department.head = head
        department.save(update_fields=["head"])
    for team_name, leader in team_leaders.items():
        Team.objects.filter(organisation=organisation, name=team_name).update(leader=leader)
    hr_user = User.objects.get(email=logins["hr"])
    totp_enrol(user=hr_user, secret=settings.DEMO_TOTP_SECRET)
    return SeedReport(organisation, len(people), list(logins.values()))


@transaction.atomic
def seed_installation_users() -> list[str]:
    """The operator (with TOTP) and one shared-service employee who works for both."""
    password = make_password(settings.DEMO_PASSWORD)
    operator, _ = User.objects.get_or_create(
        email=OPERATOR_EMAIL,
        defaults={
            "first_name": "Bea",
            "last_name": "Heerder",
            "is_operator": True,
            "password": password,
        },
    )
    totp_enrol(user=operator, secret=settings.DEMO_TOTP_SECRET)
    shared, _ = User.objects.get_or_create(
        email=SHARED_EMAIL,
        defaults={"first_name": "Gerda", "last_name": "Deeltijd", "password": password},
    )
    for organisation in Organisation.objects.filter(slug__in=[VOORBEELD.slug, ANDERS.slug]):
        Membership.objects.get_or_create(user=shared, organisation=organisation)
        Employee.objects.get_or_create(
            organisation=organisation,
            email=SHARED_EMAIL,
            defaults={
                "user": shared,
                "first_name": "Gerda",
                "last_name": "Deeltijd",
                "job_title": "Adviseur shared service centrum",
            },
        )
    return [OPERATOR_EMAIL, SHARED_EMAIL]


# Job title (start) -> role profile code of the craftsmanship 3.0 pack.
ROLE_BY_TITLE = (
    ("Baliemedewerker", "baliemedewerker-burgerzaken"),
    ("Medewerker Burgerzaken", "baliemedewerker-burgerzaken"),
    ("Medewerker KCC", "klantcontactmedewerker-kcc"),
    ("Klantadviseur", "klantcontactmedewerker-kcc"),
    ("Klantmanager", "klantcontactmedewerker-kcc"),
    ("Consulent", "klantcontactmedewerker-kcc"),
    ("Wijkcoach", "klantcontactmedewerker-kcc"),
    ("Vergunningverlener", "vergunningverlener"),
    ("Handhaver", "toezichthouder-handhaver"),
    ("Boa", "toezichthouder-handhaver"),
    ("Toezichthouder", "toezichthouder-handhaver"),
    ("Leerplichtambtenaar", "toezichthouder-handhaver"),
    ("Teamleider", "teamleider"),
    ("Afdelingshoofd", "teamleider"),
    ("Projectleider", "projectleider"),
    ("Juridisch", "juridisch-adviseur"),
    ("Jurist", "juridisch-adviseur"),
)
FRAMEWORK_PACK = "ambtelijk-vakmanschap-3.0"
CORE_VALUES_PACK = "kernwaarden-modelgedragscode"


@transaction.atomic
def seed_framework(organisation: Organisation) -> None:
    """Adopt the 3.0 pack plus the example core values, publish, and give people a role."""
    from vakwerk.assessments.sjt import sjt_load_pack
    from vakwerk.audit.services import Actor
    from vakwerk.frameworks import services
    from vakwerk.frameworks.content import shipped_pack
    from vakwerk.frameworks.models import RoleProfile

    if organisation.frameworks.exists():
        return
    framework_pack, values_pack = shipped_pack(FRAMEWORK_PACK), shipped_pack(CORE_VALUES_PACK)
    if framework_pack is None or values_pack is None:
        raise RuntimeError("The shipped content packs are missing from content/packs")
    actor = Actor(user=None)
    framework = services.framework_adopt_pack(
        organisation=organisation, actor=actor, pack=framework_pack
    )
    version = framework.versions.get()
    services.framework_add_pack(version=version, actor=actor, pack=values_pack)
    services.framework_publish(version=version, actor=actor, note="Demo")
    sjt_pack = shipped_pack("sjt-ambtelijk-vakmanschap-3.0")
    if sjt_pack is None:
        raise RuntimeError("The shipped SJT pack is missing from content/packs")
    sjt_load_pack(organisation=organisation, actor=actor, pack=sjt_pack)
    profiles = {p.code: p for p in RoleProfile.objects.filter(organisation=organisation)}
    people = list(Employee.objects.filter(organisation=organisation))
    for employee in people:
        code = next(
            (c for start, c in ROLE_BY_TITLE if employee.job_title.startswith(start)),
            "beleidsadviseur",
        )
        employee.role_profile = profiles.get(code)
    Employee.objects.bulk_update(people, ["role_profile"])


def seed_demo() -> tuple[list[SeedReport], list[str]]:
    from vakwerk.assessments.demo import seed_rounds
    from vakwerk.development.demo import seed_plans
    from vakwerk.nudges.demo import seed_campaign
    from vakwerk.practice.demo import seed_practice

    reports = [seed_organisation(VOORBEELD), seed_organisation(ANDERS)]
    for report in reports:
        seed_framework(report.organisation)
    seed_rounds(reports[0].organisation)
    seed_rounds(reports[1].organisation, department_name="Dienstverlening")
    for report in reports:
        logins = set(fixed_logins(report.organisation.slug).values())
        seed_plans(report.organisation, skip=logins)
        seed_practice(report.organisation, logins=logins)
        seed_campaign(report.organisation)
    # What the morning jobs would do today: pulse checks that are due and the notification
    # centre filled, so the demo shows them without a scheduler running.
    from django.utils import timezone

    from vakwerk.measurement.pulse_services import pulses_schedule
    from vakwerk.nudges.notifications import notifications_refresh

    pulses_schedule(now=timezone.now())
    notifications_refresh(now=timezone.now())
    return reports, seed_installation_users()
