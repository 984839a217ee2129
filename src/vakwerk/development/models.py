"""The learning catalogue and personal development plans.

An organisation's catalogue starts from a shipped pack (``content/packs/leeraanbod-*.yaml``)
and is then its own: HR adds, edits and retires activities. A retired activity stays in the
plans that chose it. A plan belongs to one employee and one round (or to no round when it is
based on the role profile alone), so plans keep their history per round.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from vakwerk.lib.i18n import localized


class ActivityFormat(models.TextChoices):
    PRACTICE = "practice", _("Practice scenario in Vakwerk")
    MICROLESSON = "microlesson", _("Microlesson")
    REFLECTION = "reflection", _("Reflection assignment")
    ON_THE_JOB = "on_the_job", _("On-the-job assignment")
    PEER = "peer", _("Learning with a colleague or intervision")
    COACHING = "coaching", _("Coaching")
    COURSE = "course", _("External course")


class LearningCategory(models.TextChoices):
    """The 70-20-10 model: most is learned by doing, some from others, a little formally."""

    EXPERIENCE = "experience", _("Learning by doing (70)")
    SOCIAL = "social", _("Learning from others (20)")
    FORMAL = "formal", _("Formal learning (10)")


class Activity(models.Model):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="activities"
    )
    code = models.SlugField(_("code"), max_length=60)
    title = models.CharField(_("title"), max_length=160)
    title_en = models.CharField(_("title (English)"), max_length=160, blank=True)
    description = models.TextField(_("description"))
    description_en = models.TextField(_("description (English)"), blank=True)
    format = models.CharField(_("format"), max_length=12, choices=ActivityFormat.choices)
    category = models.CharField(
        _("70-20-10 category"),
        max_length=10,
        choices=LearningCategory.choices,
        help_text=_("Learning by doing, learning from others, or formal learning."),
    )
    competency_codes = models.JSONField(
        _("competencies"), default=list, help_text=_("The competencies this activity develops.")
    )
    level_min = models.PositiveSmallIntegerField(
        _("from level"), default=1, validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    level_max = models.PositiveSmallIntegerField(
        _("up to level"), default=4, validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    minutes = models.PositiveIntegerField(
        _("duration (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(100_000)]
    )
    why_daily = models.TextField(_("why it matters in daily work"))
    why_daily_en = models.TextField(_("why it matters in daily work (English)"), blank=True)
    why_career = models.TextField(_("why it matters for the career"))
    why_career_en = models.TextField(_("why it matters for the career (English)"), blank=True)
    provider = models.CharField(_("provider"), max_length=120, blank=True)
    url = models.URLField(_("link"), blank=True)
    is_active = models.BooleanField(
        _("offered"), default=True, help_text=_("A retired activity stays in existing plans.")
    )
    pack = models.CharField(_("from pack"), max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("learning activity")
        verbose_name_plural = _("learning activities")
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="unique_activity_code"),
            models.CheckConstraint(
                condition=models.Q(level_min__lte=models.F("level_max")),
                name="activity_level_range",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return localized(self, "title")

    @property
    def description_label(self) -> str:
        return localized(self, "description")

    @property
    def why_daily_label(self) -> str:
        return localized(self, "why_daily")

    @property
    def why_career_label(self) -> str:
        return localized(self, "why_career")

    def clean(self) -> None:
        if self.level_min and self.level_max and self.level_min > self.level_max:
            raise ValidationError({"level_max": _("Must be at least the 'from level'.")})
        if self.format == ActivityFormat.COURSE and not self.provider:
            raise ValidationError({"provider": _("An external course needs its provider.")})

    def serves(self, code: str, level: int) -> bool:
        return code in self.competency_codes and self.level_min <= level <= self.level_max


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Being written")
    SUBMITTED = "submitted", _("Waiting for the manager")
    RETURNED = "returned", _("Returned for changes")
    APPROVED = "approved", _("Approved")


class Plan(models.Model):
    """A persoonlijk ontwikkelplan: focus competencies, a strength, and chosen activities."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="plans"
    )
    employee = models.ForeignKey("people.Employee", on_delete=models.CASCADE, related_name="plans")
    round = models.ForeignKey(
        "assessments.Round",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plans",
        help_text=_("The measured round it is based on; empty when based on the role alone."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    manager_comment = models.TextField(_("comment of the manager"), blank=True, max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    talk_on = models.DateField(
        _("development talk on"),
        null=True,
        blank=True,
        help_text=_("The day of the talk about this plan between the employee and the manager."),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("development plan")
        verbose_name_plural = _("development plans")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "round"],
                condition=models.Q(round__isnull=False),
                name="one_plan_per_employee_and_round",
            ),
            models.UniqueConstraint(
                fields=["employee"],
                condition=models.Q(round__isnull=True),
                name="one_role_based_plan_per_employee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id}:{self.round_id} {self.status}"

    @property
    def is_editable(self) -> bool:
        return self.status in (PlanStatus.DRAFT, PlanStatus.RETURNED)


class FocusKind(models.TextChoices):
    FOCUS = "focus", _("Focus")
    STRENGTH = "strength", _("Strength to build on")


class PlanFocus(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="focuses")
    competency_code = models.CharField(_("competency"), max_length=20)
    kind = models.CharField(_("kind"), max_length=10, choices=FocusKind.choices)
    position = models.PositiveSmallIntegerField(default=0)
    level = models.FloatField(_("level when planned"), null=True, blank=True)
    target = models.PositiveSmallIntegerField(_("target"), null=True, blank=True)
    uncertain = models.BooleanField(
        _("uncertain"), default=False, help_text=_("The gap is uncertain: measure again.")
    )
    goal = models.TextField(
        _("my goal"),
        blank=True,
        max_length=2000,
        help_text=_(
            "In your own words: what do you want to be able to do, and how will you notice?"
        ),
    )

    class Meta:
        ordering = ["plan", "kind", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "competency_code"], name="one_focus_per_plan_and_competency"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}:{self.kind}:{self.competency_code}"


class ItemStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    BUSY = "busy", _("Busy")
    DONE = "done", _("Done")


class PlanItem(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="items")
    focus = models.ForeignKey(
        PlanFocus, on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="plan_items")
    position = models.PositiveSmallIntegerField(default=0)
    due_date = models.DateField(_("done by"), null=True, blank=True)
    status = models.CharField(
        _("progress"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.PLANNED
    )
    reflection = models.TextField(
        _("reflection"),
        blank=True,
        max_length=2000,
        help_text=_("A few sentences: what did you do, what did you learn, what next?"),
    )
    # The due date the last due reminder was sent for: one reminder per date, however often
    # the daily job runs; a new date is reminded again.
    reminded_for = models.DateField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["plan", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "activity"], name="no_activity_twice_in_a_plan")
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}:{self.activity_id} {self.status}"
