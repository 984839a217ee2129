"""Employees, teams and departments of an organisation."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="departments"
    )
    name = models.CharField(_("name"), max_length=120)
    head = models.ForeignKey(
        "Employee",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="headed_departments",
        verbose_name=_("head of department"),
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unique_department_name")
        ]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="teams"
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="teams", null=True, blank=True
    )
    name = models.CharField(_("name"), max_length=120)
    leader = models.ForeignKey(
        "Employee",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
        verbose_name=_("team leader"),
    )
    # SCIM provisioning (people/scim.py): the identity provider's id for this group, and when it
    # deleted the group. A deleted group's team is kept for history (rounds that targeted it)
    # but is no longer seen through SCIM.
    scim_external_id = models.CharField(_("SCIM external id"), max_length=255, blank=True)
    scim_deleted_at = models.DateTimeField(_("removed by SCIM"), null=True, blank=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unique_team_name")
        ]

    def __str__(self) -> str:
        return self.name


class EmployeeQuerySet(models.QuerySet["Employee"]):
    def current(self) -> "EmployeeQuerySet":
        """People who have not left: no end date, or one still to come."""
        today = timezone.localdate()
        return self.filter(models.Q(end_date__isnull=True) | models.Q(end_date__gt=today))


class Employee(models.Model):
    """A person as the organisation knows them. ``user`` links the login, when there is one."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="employees"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="employee_records",
    )
    employee_number = models.CharField(
        _("employee number"),
        max_length=30,
        blank=True,
        help_text=_("The number in the HR system; imports match people on it."),
    )
    first_name = models.CharField(_("first name"), max_length=80)
    last_name = models.CharField(_("last name"), max_length=120)
    email = models.EmailField(_("email address"))
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members"
    )
    manager = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("manager"),
    )
    role_profile = models.ForeignKey(
        "frameworks.RoleProfile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="employees",
        verbose_name=_("role profile"),
    )
    # Consent to show this person's results, used where the organisation's policy for
    # managers or HR is "only with the employee's consent". Changed by the employee only.
    shares_results_with_manager = models.BooleanField(
        _("my manager may see my results"), default=False
    )
    shares_results_with_hr = models.BooleanField(_("HR may see my results"), default=False)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(
        _("end date"),
        null=True,
        blank=True,
        help_text=_("Leavers are ended, never deleted: their history stays until retention ends."),
    )
    # SCIM provisioning (people/scim.py): the identity provider's id for this person, and when it
    # deleted them (they are ended, never destroyed, and no longer seen through SCIM).
    scim_external_id = models.CharField(_("SCIM external id"), max_length=255, blank=True)
    scim_deleted_at = models.DateTimeField(_("removed by SCIM"), null=True, blank=True)

    objects = EmployeeQuerySet.as_manager()

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "email"], name="unique_employee_email"),
            models.UniqueConstraint(
                fields=["organisation", "employee_number"],
                condition=~models.Q(employee_number=""),
                name="unique_employee_number",
            ),
            models.UniqueConstraint(
                fields=["organisation", "user"],
                condition=models.Q(user__isnull=False),
                name="one_employee_record_per_user",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def has_left(self) -> bool:
        return self.end_date is not None and self.end_date <= timezone.localdate()


class ImportStatus(models.TextChoices):
    CHECKED = "checked", _("Checked")
    INVALID = "invalid", _("Has errors")
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One uploaded people file: its dry-run plan, and the apply with progress and result.

    The file's bytes are kept only until it is applied (or fails): it holds personal data.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="import_jobs"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("applied by"),
    )
    file_name = models.CharField(_("file name"), max_length=255)
    data = models.BinaryField(_("file"), blank=True, default=b"")
    rows = models.PositiveIntegerField(_("rows"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.CHECKED
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("people import")
        verbose_name_plural = _("people imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def is_pending(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)
