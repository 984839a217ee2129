"""Keeping the level: periodic jobs, campaigns, notifications and their email.

A ``JobRun`` is one run of a periodic job for one period (a day, a week): the unique pair
(job, period) makes every job idempotent, since a second run for a period that already ran
is skipped (``nudges.jobs``). A ``Campaign`` is a focus theme HR sets for a period and a
population; the daily practice favours its competencies while it runs.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
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


# --- notifications and their email -----------------------------------------------------------


class Language(models.TextChoices):
    DUTCH = "nl", _("Dutch")
    ENGLISH = "en", _("English")


class NotificationPreference(models.Model):
    """How a person wants to hear from Vakwerk. No row means the defaults below: it is created
    the first time someone changes a choice (``notifications.preference_of``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    language = models.CharField(
        _("language of emails"),
        max_length=2,
        choices=Language.choices,
        default=Language.DUTCH,
        help_text=_("Emails and notifications from Vakwerk are written in this language."),
    )
    weekly_digest = models.BooleanField(
        _("weekly digest"),
        default=True,
        help_text=_(
            "Every Monday an email with what is waiting for you: practice, your development "
            "plan and requests for feedback."
        ),
    )
    reminders = models.BooleanField(
        _("reminders"),
        default=True,
        help_text=_("An email a week before an activity in a development plan is due."),
    )
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"


class NotificationKind(models.TextChoices):
    PRACTICE_DUE = "practice_due", _("Practice due")
    PLAN_ACTION = "plan_action", _("Plan action due")
    TEAM_PLAN_ACTION = "team_plan_action", _("Plan action of your team due")
    FEEDBACK_REQUEST = "feedback_request", _("Feedback request")
    PLAN_TO_REVIEW = "plan_to_review", _("Plan to review")
    TEAM_RESPONSE_RATE = "team_response_rate", _("Response rate of your team")
    PULSE_CHECK_DUE = "pulse_check_due", _("Pulse check due")
    CAMPAIGN = "campaign", _("Campaign")
    UPCOMING_TALK = "upcoming_talk", _("Upcoming development talk")


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One item in a person's notification centre.

    The text is never stored: ``kind`` and ``params`` are rendered through gettext when the
    item is shown (``notifications.notification_text``), in the reader's language. ``key``
    names what the item is about (``invitation:12``, ``practice:2026-W48``): unique per user,
    so creating the same notification twice does nothing.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    params = models.JSONField(_("details"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    key = models.CharField(max_length=120)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_notification_per_user_key")
        ]
        indexes = [
            models.Index(fields=["user", "organisation", "-created_at"]),
            models.Index(
                fields=["user", "organisation"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class EmailKind(models.TextChoices):
    DIGEST = "digest", _("Weekly digest")
    REMINDER = "reminder", _("Reminder")


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent")


class EmailSend(models.Model):
    """One email to one person for one period: the queue of outgoing digests and reminders
    and their log. Unique per person, organisation, kind and period, so a digest for a week is
    sent at most once however often the job runs. ``period`` is an ISO week (``2026-W48``) for
    digests, the day plus a fingerprint of the reminded activities for reminders."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=EmailKind.choices)
    period = models.CharField(_("period"), max_length=40)
    status = models.CharField(
        _("status"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED
    )
    # What to send: {"now": iso datetime} for a digest, the activity ids for a reminder; and
    # why it was skipped ({"reason": "unsubscribed"}).
    params = models.JSONField(_("details"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "kind", "period"], name="one_email_per_period"
            )
        ]
        indexes = [models.Index(fields=["status", "id"])]

    def __str__(self) -> str:
        return f"{self.kind}@{self.period} {self.user_id} {self.status}"
