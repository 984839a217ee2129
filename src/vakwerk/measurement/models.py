"""Stored estimates: the engine's output per round, person and competency, and the runs that
computed them (with status and progress for HR).

A round's estimates are replaced as a whole by every successful run, in one transaction: the
rows of a round always come from one run, one engine version and one framework version.

Pulse checks (``PulseCheck`` and its answers, ``PulseUpdate``) live in this app, not in
assessments: a pulse is not a round (no raters, no anonymity, no closing); it is a small piece
of evidence whose only purpose is to update a stored estimate between rounds, and its result
sits next to ``Estimate`` and is read wherever estimates are read. It borrows the assessments
app's SJT bank and frequency scale, as the estimate runs borrow its rounds.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Computing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


PENDING_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class AgreementClass(models.TextChoices):
    """Self-other agreement as used in 360 practice (docs/measurement.md section 6)."""

    OVERESTIMATES = "overestimates", _("Rates themselves higher than others do")
    UNDERESTIMATES = "underestimates", _("Rates themselves lower than others do")
    AGREES_HIGH = "agrees_high", _("Agrees with others, on a high level")
    AGREES_LOW = "agrees_low", _("Agrees with others, on a lower level")


class EstimateRun(models.Model):
    """One computation of a round's estimates (queued when the round closes or by HR)."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="estimate_runs"
    )
    round = models.ForeignKey(
        "assessments.Round", on_delete=models.CASCADE, related_name="estimate_runs"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    engine_version = models.CharField(_("engine version"), max_length=20, blank=True)
    error = models.TextField(_("error"), blank=True)
    # Per competency what later pulse updates need from this run (``measurement.calibration``):
    # {code: {"items": {sjt item code: {"a", "c", "scores"}}, "specific_var": float,
    #         "level_thresholds": [float] | None}}, on this run's standardised scale.
    calibration = models.JSONField(_("calibration"), default=dict, blank=True)

    class Meta:
        verbose_name = _("estimate run")
        verbose_name_plural = _("estimate runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="estimate_run_progress_at_most_100"
            )
        ]
        indexes = [models.Index(fields=["round", "status"])]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.pk} {self.status}"

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_STATUSES


class Estimate(models.Model):
    """A person's level on one competency in one round, with its uncertainty and evidence.

    ``estimate``, ``sd``, ``lower90`` and ``upper90`` are on the standardised scale of the
    round (this population: mean 0, SD 1 per competency; docs/measurement.md section 4).
    ``level`` is the same estimate on the framework's level scale (section 7): the highest
    level whose indicators an average-leniency rater would rate "often" or more, with a
    fractional part; empty when the round has no ratings by others on this competency to
    anchor the scale (e.g. only self-ratings and test answers).
    """

    run = models.ForeignKey(EstimateRun, on_delete=models.CASCADE, related_name="estimates")
    round = models.ForeignKey(
        "assessments.Round", on_delete=models.CASCADE, related_name="estimates"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="estimates"
    )
    employee = models.ForeignKey(
        "people.Employee", on_delete=models.CASCADE, related_name="estimates"
    )
    version = models.ForeignKey(
        "frameworks.FrameworkVersion",
        on_delete=models.PROTECT,
        related_name="estimates",
        verbose_name=_("framework version"),
    )
    competency_code = models.CharField(_("competency"), max_length=20)
    estimate = models.FloatField(_("estimate"))
    sd = models.FloatField(_("standard deviation"))
    lower90 = models.FloatField(_("lower bound (90%)"))
    upper90 = models.FloatField(_("upper bound (90%)"))
    level = models.FloatField(_("level"), null=True, blank=True)
    level_lower = models.FloatField(_("level, lower bound (90%)"), null=True, blank=True)
    level_upper = models.FloatField(_("level, upper bound (90%)"), null=True, blank=True)
    agreement = models.CharField(
        _("self-other agreement"), max_length=20, choices=AgreementClass.choices, blank=True
    )
    # What each rater group alone says, only for groups at or above the round's anonymity
    # threshold (smaller peer and external groups merged into "others" or left out):
    # {group: {"estimate": float, "sd": float, "level": float | None, "raters": int}}.
    views = models.JSONField(_("source views"), default=dict, blank=True)
    n_self = models.PositiveIntegerField(default=0)
    n_manager = models.PositiveIntegerField(default=0)
    n_peer = models.PositiveIntegerField(default=0)
    n_external = models.PositiveIntegerField(default=0)
    n_sjt = models.PositiveIntegerField(default=0)
    # Practice results that counted (only when the organisation lets practice count as
    # evidence; docs/measurement.md section 10).
    n_practice = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(_("computed"))
    engine_version = models.CharField(_("engine version"), max_length=20)

    class Meta:
        verbose_name = _("estimate")
        verbose_name_plural = _("estimates")
        ordering = ["round", "employee", "competency_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "employee", "competency_code"],
                name="one_estimate_per_round_person_competency",
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "employee"]),
            # The organisation view's aggregates read only these columns, so PostgreSQL
            # answers them with an index-only scan, without the wide rows (``views``).
            models.Index(
                fields=["round", "competency_code", "organisation", "employee", "level"],
                name="estimate_band_counts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id}:{self.competency_code}={self.estimate:.2f}"


# --- pulse checks (see the module docstring for why they live here) --------------------------


class PulseCheck(models.Model):
    """A three-minute pulse for one employee: a few SJT situations on the competencies due,
    optionally followed by a short self-check. Created by ``pulse_services.pulses_schedule``
    (or on the employee's own request); answered one situation at a time."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="pulse_checks"
    )
    employee = models.ForeignKey(
        "people.Employee", on_delete=models.CASCADE, related_name="pulse_checks"
    )
    competency_codes = models.JSONField(_("competencies"), default=list)
    # The chosen SJT items, by code, in the order they are shown.
    item_codes = models.JSONField(_("situations"), default=list)
    # Behavioural indicators of the self-check (empty without one), in the order shown.
    indicator_ids = models.JSONField(_("self-check statements"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"))
    due_at = models.DateTimeField(_("due"))
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("pulse check")
        verbose_name_plural = _("pulse checks")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee"],
                condition=models.Q(completed_at__isnull=True),
                name="one_open_pulse_per_employee",
            )
        ]
        indexes = [models.Index(fields=["organisation", "employee", "created_at"])]

    def __str__(self) -> str:
        return f"{self.employee_id}:{self.created_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.completed_at is None


class PulseAnswer(models.Model):
    """The employee's ratings (1-5) of the four responses of one situation of a pulse:
    ``{option position: rating}``. One row per pulse and item: posting it again replaces it."""

    pulse = models.ForeignKey(PulseCheck, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(
        "assessments.SjtItem", on_delete=models.PROTECT, related_name="pulse_answers"
    )
    ratings = models.JSONField(_("ratings"), default=dict)
    answered_at = models.DateTimeField(_("answered"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pulse", "item"], name="one_answer_per_pulse_item")
        ]

    def __str__(self) -> str:
        return f"{self.pulse_id}:{self.item_id}"


class PulseSelfAnswer(models.Model):
    """How often the employee shows one behaviour, on the questionnaire's frequency scale
    (0-4). Shown back to the employee; not used in the estimate (docs/measurement.md,
    section 11)."""

    pulse = models.ForeignKey(PulseCheck, on_delete=models.CASCADE, related_name="self_answers")
    indicator = models.ForeignKey(
        "frameworks.Indicator", on_delete=models.PROTECT, related_name="pulse_answers"
    )
    value = models.PositiveSmallIntegerField(
        _("answer"), validators=[MinValueValidator(0), MaxValueValidator(4)]
    )
    answered_at = models.DateTimeField(_("answered"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["pulse", "indicator"], name="one_self_answer_per_pulse_indicator"
            )
        ]

    def __str__(self) -> str:
        return f"{self.pulse_id}:{self.indicator_id}={self.value}"


class PulseUpdate(models.Model):
    """A competency's level after a pulse: the current level before it (the latest round's
    estimate, earlier pulse updates included, widened by its age) updated with the pulse's
    answers. On the standardised scale of ``round``; level bounds when that scale is known."""

    pulse = models.ForeignKey(PulseCheck, on_delete=models.CASCADE, related_name="updates")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="pulse_updates"
    )
    employee = models.ForeignKey(
        "people.Employee", on_delete=models.CASCADE, related_name="pulse_updates"
    )
    competency_code = models.CharField(_("competency"), max_length=20)
    # The round whose estimate this updates; recomputing the round replaces its Estimate rows,
    # so the round and competency (not only the row) say what the update belongs to.
    round = models.ForeignKey(
        "assessments.Round", on_delete=models.CASCADE, related_name="pulse_updates"
    )
    based_on = models.ForeignKey(
        Estimate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pulse_updates",
        verbose_name=_("based on"),
    )
    prior_estimate = models.FloatField(_("estimate before"))
    prior_sd = models.FloatField(_("standard deviation before"))
    prior_level = models.FloatField(_("level before"), null=True, blank=True)
    prior_level_lower = models.FloatField(null=True, blank=True)
    prior_level_upper = models.FloatField(null=True, blank=True)
    estimate = models.FloatField(_("estimate"))
    sd = models.FloatField(_("standard deviation"))
    lower90 = models.FloatField(_("lower bound (90%)"))
    upper90 = models.FloatField(_("upper bound (90%)"))
    level = models.FloatField(_("level"), null=True, blank=True)
    level_lower = models.FloatField(_("level, lower bound (90%)"), null=True, blank=True)
    level_upper = models.FloatField(_("level, upper bound (90%)"), null=True, blank=True)
    n_items = models.PositiveSmallIntegerField(_("situations"))
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("pulse update")
        verbose_name_plural = _("pulse updates")
        ordering = ["-computed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pulse", "competency_code"], name="one_update_per_pulse_competency"
            )
        ]
        indexes = [models.Index(fields=["round", "employee", "competency_code", "computed_at"])]

    def __str__(self) -> str:
        return f"{self.employee_id}:{self.competency_code}={self.estimate:.2f}"
