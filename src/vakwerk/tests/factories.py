"""factory_boy factories for the foundation models, with traits for roles."""

from datetime import UTC, timedelta
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from vakwerk.accounts.models import User
from vakwerk.assessments.models import Round
from vakwerk.frameworks.models import Competency, CompetencyKind, Framework, FrameworkVersion
from vakwerk.organisations.models import Membership, Organisation, Role
from vakwerk.people.models import Department, Employee, Team


class OrganisationFactory(DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    slug = factory.Sequence(lambda n: f"gemeente-{n}")
    name = factory.Sequence(lambda n: f"Gemeente Test {n}")


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"persoon{n}@example.nl")
    first_name = factory.Faker("first_name", locale="nl_NL")
    last_name = factory.Faker("last_name", locale="nl_NL")
    password = factory.django.Password("correct-horse-battery")

    class Params:
        operator = factory.Trait(is_operator=True)


class MembershipFactory(DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)

    @classmethod
    def _create(cls, model_class: type[Membership], *args: Any, **kwargs: Any) -> Membership:
        roles = kwargs.pop("roles", [Role.EMPLOYEE])
        membership = model_class(*args, **kwargs)
        membership.set_roles(roles)
        membership.save()
        return membership


class DepartmentFactory(DjangoModelFactory[Department]):
    class Meta:
        model = Department

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Afdeling {n}")


class TeamFactory(DjangoModelFactory[Team]):
    class Meta:
        model = Team

    organisation = factory.SubFactory(OrganisationFactory)
    department = factory.SubFactory(
        DepartmentFactory, organisation=factory.SelfAttribute("..organisation")
    )
    name = factory.Sequence(lambda n: f"Team {n}")


class EmployeeFactory(DjangoModelFactory[Employee]):
    class Meta:
        model = Employee

    organisation = factory.SubFactory(OrganisationFactory)
    employee_number = factory.Sequence(lambda n: f"{n + 1:06d}")
    first_name = factory.Faker("first_name", locale="nl_NL")
    last_name = factory.Faker("last_name", locale="nl_NL")
    email = factory.Sequence(lambda n: f"medewerker{n}@example.nl")
    job_title = "Beleidsadviseur"
    team = factory.SubFactory(TeamFactory, organisation=factory.SelfAttribute("..organisation"))


class FrameworkFactory(DjangoModelFactory[Framework]):
    class Meta:
        model = Framework

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Kader {n}")


class FrameworkVersionFactory(DjangoModelFactory[FrameworkVersion]):
    """Version 1 of a new framework, a draft unless ``published=True``."""

    class Meta:
        model = FrameworkVersion

    framework = factory.SubFactory(FrameworkFactory)
    number = 1

    class Params:
        published = factory.Trait(
            status="published", published_at=factory.Faker("past_datetime", tzinfo=UTC)
        )


class CompetencyFactory(DjangoModelFactory[Competency]):
    class Meta:
        model = Competency

    version = factory.SubFactory(FrameworkVersionFactory)
    code = factory.Sequence(lambda n: f"C-{n + 1:03d}")
    kind = CompetencyKind.VAKMANSCHAP
    name = factory.Sequence(lambda n: f"Competentie {n}")
    description = "Wat deze competentie inhoudt."
    why_daily = "Waarom dit telt in het dagelijks werk."
    why_career = "Waarom dit telt voor de loopbaan."

    class Params:
        core_value = factory.Trait(kind=CompetencyKind.KERNWAARDE)


class RoundFactory(DjangoModelFactory[Round]):
    """An open-able round (being prepared) on a published framework of its organisation."""

    class Meta:
        model = Round

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Ronde {n}")
    version = factory.SubFactory(
        FrameworkVersionFactory,
        framework__organisation=factory.SelfAttribute("...organisation"),
        published=True,
    )
    opens_on = factory.LazyFunction(lambda: timezone.localdate())
    closes_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))
    anonymity_threshold = 3
