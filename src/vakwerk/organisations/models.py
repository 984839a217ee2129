"""Organisations (tenants), their policies and theme, and who belongs to them in which roles."""

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

MIN_ANONYMITY_THRESHOLD = 3


class Role(models.TextChoices):
    EMPLOYEE = "medewerker", _("Employee")
    MANAGER = "leidinggevende", _("Manager")
    HR = "hr", _("HR adviser")
    ADMIN = "beheerder", _("Administrator")


# Roles whose holders must enrol in multi-factor authentication before they can work.
MFA_ROLES = frozenset({Role.HR, Role.ADMIN})


class ManagerVisibility(models.TextChoices):
    YES = "yes", _("Yes")
    CONSENT = "consent", _("Only with the employee's consent")
    NO = "no", _("No")


class Organisation(models.Model):
    slug = models.SlugField(
        _("short name"),
        max_length=50,
        unique=True,
        help_text=_("Lower-case letters, digits and hyphens; used in addresses and exports."),
    )
    name = models.CharField(_("name"), max_length=120)
    logo = models.ImageField(
        _("logo"),
        upload_to="logos/",
        blank=True,
        help_text=_("PNG or JPEG, at most 1 MB; shown in the page header."),
    )
    theme = models.JSONField(_("theme"), default=dict, blank=True)
    anonymity_threshold = models.PositiveSmallIntegerField(
        _("anonymity threshold"),
        default=MIN_ANONYMITY_THRESHOLD,
        validators=[MinValueValidator(MIN_ANONYMITY_THRESHOLD), MaxValueValidator(20)],
        help_text=_(
            "A group of raters (for example peers) is reported only when at least this many "
            "people answered. Never lower than 3."
        ),
    )
    manager_visibility = models.CharField(
        _("managers see individual results of their reports"),
        max_length=10,
        choices=ManagerVisibility.choices,
        default=ManagerVisibility.CONSENT,
    )
    hr_visibility = models.CharField(
        _("HR sees individual results"),
        max_length=10,
        choices=ManagerVisibility.choices,
        default=ManagerVisibility.YES,
        help_text=_(
            "Team and organisation figures are always shown to HR as aggregates of at least "
            "the anonymity threshold; this is about one person's report."
        ),
    )
    retention_results_months = models.PositiveSmallIntegerField(
        _("keep results (months)"), default=36, validators=[MinValueValidator(1)]
    )
    retention_comments_months = models.PositiveSmallIntegerField(
        _("keep comments (months)"), default=24, validators=[MinValueValidator(1)]
    )
    retention_practice_months = models.PositiveSmallIntegerField(
        _("keep practice history (months)"), default=24, validators=[MinValueValidator(1)]
    )
    retention_after_leaving_months = models.PositiveSmallIntegerField(
        _("keep data of leavers (months after leaving)"),
        default=24,
        validators=[MinValueValidator(1)],
    )
    retention_audit_months = models.PositiveSmallIntegerField(
        _("keep the audit log (months)"), default=84, validators=[MinValueValidator(12)]
    )
    practice_retention = models.FloatField(
        _("practice: desired retention"),
        default=0.85,
        validators=[MinValueValidator(0.7), MaxValueValidator(0.97)],
        help_text=_(
            "The chance of still mastering a skill when it comes back for practice. Higher "
            "means more frequent practice."
        ),
    )
    practice_max_interval_days = models.PositiveSmallIntegerField(
        _("practice: longest gap (days)"),
        default=120,
        validators=[MinValueValidator(7), MaxValueValidator(365)],
        help_text=_("A skill comes back for practice at least this often."),
    )
    practice_as_evidence = models.BooleanField(
        _("practice counts as evidence"),
        default=False,
        help_text=_(
            "When on, practice results count with a low weight in the measured levels of the "
            "next round. When off, practice never changes a measured level."
        ),
    )
    pulse_interval_weeks = models.PositiveSmallIntegerField(
        _("pulse check every (weeks)"),
        default=8,
        validators=[MaxValueValidator(52)],
        help_text=_(
            "Between rounds, employees get a three-minute pulse of judgement questions this "
            "often. 0 switches pulse checks off."
        ),
    )
    pulse_self_check = models.BooleanField(
        _("pulse check includes a short self-check"),
        default=False,
        help_text=_("A few statements the employee rates about themselves, after the questions."),
    )
    results_outdated_months = models.PositiveSmallIntegerField(
        _("results are outdated after (months)"),
        default=12,
        validators=[MinValueValidator(3), MaxValueValidator(60)],
        help_text=_(
            "Older results are marked as outdated on every page, with a suggestion to measure "
            "again."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet["Membership"]):
    def with_role(self, role: Role) -> "MembershipQuerySet":
        return self.filter(**{Membership.ROLE_FIELDS[role]: True})


class Membership(models.Model):
    """A user's place in an organisation. A person holds one or more roles there."""

    ROLE_FIELDS: dict[str, str] = {
        Role.EMPLOYEE: "is_employee",
        Role.MANAGER: "is_manager",
        Role.HR: "is_hr",
        Role.ADMIN: "is_admin",
    }

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    is_employee = models.BooleanField(_("employee"), default=True)
    is_manager = models.BooleanField(_("manager"), default=False)
    is_hr = models.BooleanField(_("HR adviser"), default=False)
    is_admin = models.BooleanField(_("administrator"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"

    def has_role(self, role: str) -> bool:
        return bool(getattr(self, self.ROLE_FIELDS[role]))

    @property
    def roles(self) -> list[Role]:
        return [Role(role) for role in self.ROLE_FIELDS if self.has_role(role)]

    @property
    def needs_mfa(self) -> bool:
        return any(role in MFA_ROLES for role in self.roles)

    def set_roles(self, roles: Any) -> None:
        wanted = {str(role) for role in roles}
        for role, field in self.ROLE_FIELDS.items():
            setattr(self, field, role in wanted)
