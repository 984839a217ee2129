"""Measurement rounds: who rates whom on which behaviour, and the answers.

A round measures a population against one published framework version. Each subject gets a
self and a manager invitation, peers they nominate (approved by the manager) and external
raters invited by link. Answers are saved one at a time and frozen when the round closes.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vakwerk.lib.i18n import localized
from vakwerk.organisations.models import MIN_ANONYMITY_THRESHOLD

# The five-point frequency scale; "cannot judge" is stored as no value.
FREQUENCY_CATEGORIES = 5


class Frequency(models.IntegerChoices):
    NEVER = 0, _("(Almost) never")
    SOMETIMES = 1, _("Sometimes")
    REGULARLY = 2, _("Regularly")
    OFTEN = 3, _("Often")
    ALWAYS = 4, _("(Almost) always")


class Source(models.TextChoices):
    SELF = "self", _("Self")
    MANAGER = "manager", _("Manager")
    PEER = "peer", _("Colleague")
    EXTERNAL = "external", _("External")


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Round(models.Model):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="rounds"
    )
    name = models.CharField(_("name"), max_length=120)
    version = models.ForeignKey(
        "frameworks.FrameworkVersion",
        on_delete=models.PROTECT,
        related_name="rounds",
        verbose_name=_("framework version"),
    )
    departments = models.ManyToManyField(
        "people.Department", blank=True, verbose_name=_("departments")
    )
    teams = models.ManyToManyField("people.Team", blank=True, verbose_name=_("teams"))
    role_profiles = models.ManyToManyField(
        "frameworks.RoleProfile", blank=True, verbose_name=_("role profiles")
    )
    use_self = models.BooleanField(_("self-assessment"), default=True)
    use_manager = models.BooleanField(_("manager assessment"), default=True)
    use_peers = models.BooleanField(_("colleagues (peers)"), default=True)
    use_external = models.BooleanField(_("external raters"), default=False)
    use_sjt = models.BooleanField(_("situational judgement test"), default=True)
    competency_codes = models.JSONField(
        _("competencies"),
        default=list,
        blank=True,
        help_text=_("Empty: the competencies in each person's role profile."),
    )
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    anonymity_threshold = models.PositiveSmallIntegerField(
        _("anonymity threshold"),
        validators=[MinValueValidator(MIN_ANONYMITY_THRESHOLD), MaxValueValidator(20)],
    )
    peers_min = models.PositiveSmallIntegerField(
        _("minimum number of colleagues"), default=3, validators=[MinValueValidator(1)]
    )
    peers_max = models.PositiveSmallIntegerField(
        _("maximum number of colleagues"), default=8, validators=[MaxValueValidator(20)]
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("send reminders this many days before closing"), default=3
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RoundStatus.choices, default=RoundStatus.DRAFT
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        ordering = ["-opens_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_on__gte=models.F("opens_on")),
                name="round_closes_after_opening",
            ),
            models.CheckConstraint(
                condition=models.Q(peers_max__gte=models.F("peers_min")),
                name="round_peers_max_at_least_min",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def accepts_answers(self) -> bool:
        return self.status == RoundStatus.OPEN

    @property
    def days_left(self) -> int:
        return max((self.closes_on - timezone.localdate()).days, 0)


class Subject(models.Model):
    """A person measured in a round, with the competencies measured for them."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="subjects")
    employee = models.ForeignKey(
        "people.Employee", on_delete=models.CASCADE, related_name="subjects"
    )
    competency_codes = models.JSONField(default=list)
    peers_submitted_at = models.DateTimeField(null=True, blank=True)
    peers_approved_at = models.DateTimeField(null=True, blank=True)
    sjt_completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("person measured")
        verbose_name_plural = _("people measured")
        constraints = [
            models.UniqueConstraint(fields=["round", "employee"], name="one_subject_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.employee} ({self.round})"


class InvitationStatus(models.TextChoices):
    NOMINATED = "nominated", _("Nominated, awaiting the manager")
    OPEN = "open", _("Open")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Invitation(models.Model):
    """One rater's questionnaire about one subject."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="invitations")
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    rater = models.ForeignKey(
        "people.Employee",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("rater"),
    )
    external_name = models.CharField(_("name"), max_length=120, blank=True)
    external_email = models.EmailField(_("email address"), blank=True)
    external_role = models.CharField(
        _("relation"),
        max_length=120,
        blank=True,
        help_text=_("E.g. chain partner, residents' panel, alderman."),
    )
    # Only a hash of an external rater's link is stored; the link itself is mailed once.
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.OPEN
    )
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "source", "rater"],
                condition=models.Q(rater__isnull=False),
                name="one_invitation_per_rater",
            ),
            models.CheckConstraint(
                condition=models.Q(source="external") | models.Q(rater__isnull=False),
                name="internal_invitations_have_a_rater",
            ),
        ]
        indexes = [models.Index(fields=["rater", "status"])]

    def __str__(self) -> str:
        return f"{self.get_source_display()} → {self.subject.employee}"

    @property
    def rater_name(self) -> str:
        return self.rater.full_name if self.rater else self.external_name


class Answer(models.Model):
    """How often the subject shows one behaviour, in the rater's eyes; None: cannot judge."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="answers")
    indicator = models.ForeignKey(
        "frameworks.Indicator", on_delete=models.PROTECT, related_name="answers"
    )
    value = models.PositiveSmallIntegerField(choices=Frequency.choices, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["invitation", "indicator"], name="one_answer_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.invitation_id}:{self.indicator_id}={self.value}"


class Comment(models.Model):
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="comments")
    competency_code = models.CharField(max_length=20)
    text = models.TextField(_("comment"), max_length=2000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        constraints = [
            models.UniqueConstraint(
                fields=["invitation", "competency_code"], name="one_comment_per_competency"
            )
        ]

    def __str__(self) -> str:
        return f"{self.invitation_id}:{self.competency_code}"


class SjtItem(models.Model):
    """A situation from municipal work with four responses and an expert key."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="sjt_items"
    )
    code = models.CharField(max_length=20)
    competency_code = models.CharField(max_length=20)
    setting = models.CharField(max_length=30)
    situation = models.TextField()
    situation_en = models.TextField(blank=True)
    question = models.CharField(max_length=200)
    question_en = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("situational judgement item")
        verbose_name_plural = _("situational judgement items")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="unique_sjt_code")
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def situation_label(self) -> str:
        return localized(self, "situation")

    @property
    def question_label(self) -> str:
        return localized(self, "question")


class SjtOption(models.Model):
    item = models.ForeignKey(SjtItem, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=400)
    text_en = models.CharField(max_length=400, blank=True)
    key = models.DecimalField(
        max_digits=2,
        decimal_places=1,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("Mean effectiveness (1-5) given by the expert panel."),
    )

    class Meta:
        ordering = ["item", "position"]
        constraints = [
            models.UniqueConstraint(fields=["item", "position"], name="unique_sjt_option")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return localized(self, "text")


class SjtAnswer(models.Model):
    """How effective the subject judges one response (1-5)."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="sjt_answers")
    option = models.ForeignKey(SjtOption, on_delete=models.PROTECT, related_name="answers")
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subject", "option"], name="one_sjt_answer")]

    def __str__(self) -> str:
        return f"{self.subject_id}:{self.option_id}={self.rating}"


class ReminderLog(models.Model):
    """Which reminder went to whom, so a job run twice sends nothing twice."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20)
    sent_at = models.DateTimeField(auto_now_add=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invitation", "kind"], name="one_reminder_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.invitation_id}:{self.kind}"
