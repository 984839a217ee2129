"""Keeping the level: periodic jobs, campaigns, notifications and their email.

A ``JobRun`` is one run of a periodic job for one period (a day, a week): the unique pair
(job, period) makes every job idempotent, since a second run for a period that already ran
is skipped (``nudges.jobs``). A ``Campaign`` is a focus theme HR sets for a period and a
population; the daily practice favours its competencies while it runs.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class JobRun(models.Model):
    """One run of a periodic job for one period; operators see the last run of each job."""

    job = models.CharField(_("job"), max_length=80)
    period = models.CharField(_("period"), max_length=40)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.RUNNING
    )
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # What the run did, e.g. {"sent": 12, "skipped": 3}.
    details = models.JSONField(_("details"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "period"], name="one_run_per_job_period")
        ]
        indexes = [models.Index(fields=["job", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.job}@{self.period} {self.status}"


class Campaign(models.Model):
    """A focus theme for a period and a population ("maand van de transparantie").

    The population is the union of the chosen departments and teams; none chosen means the
    whole organisation.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="campaigns"
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_("Why this theme now; shown to employees on their practice page."),
    )
    competency_codes = models.JSONField(_("competencies"), default=list)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    departments = models.ManyToManyField(
        "people.Department", blank=True, related_name="+", verbose_name=_("departments")
    )
    teams = models.ManyToManyField(
        "people.Team", blank=True, related_name="+", verbose_name=_("teams")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="campaign_ends_after_start",
            )
        ]
        indexes = [models.Index(fields=["organisation", "starts_on", "ends_on"])]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The end date lies before the start date.")})
        if not self.competency_codes:
            raise ValidationError({"competency_codes": _("Choose at least one competency.")})
