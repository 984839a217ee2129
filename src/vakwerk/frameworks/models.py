"""Competency frameworks: versioned, with a level scale, competencies and behavioural indicators.

A framework has versions. A draft can be edited; publishing freezes it for good. Editing a
published framework starts a new draft copied from it, so results measured against a version
keep pointing at exactly what was asked. Role profiles refer to competencies by code, which
stays the same across versions.
"""

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from vakwerk.lib.i18n import localized

COMPETENCY_CODE = RegexValidator(
    r"^[A-Z][A-Z0-9-]{1,19}$",
    _("Use 2 to 20 capital letters, digits and hyphens, starting with a letter (e.g. AV-RES)."),
)


class Framework(models.Model):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="frameworks"
    )
    name = models.CharField(_("name"), max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("framework")
        verbose_name_plural = _("frameworks")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unique_framework_name")
        ]

    def __str__(self) -> str:
        return self.name


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class FrameworkVersion(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    note = models.CharField(_("what changed"), max_length=250, blank=True)

    class Meta:
        verbose_name = _("framework version")
        verbose_name_plural = _("framework versions")
        ordering = ["framework", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "number"], name="unique_version_number"),
            models.UniqueConstraint(
                fields=["framework"],
                condition=models.Q(status="draft"),
                name="one_draft_per_framework",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.framework} v{self.number}"

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT


class Level(models.Model):
    version = models.ForeignKey(FrameworkVersion, on_delete=models.CASCADE, related_name="levels")
    number = models.PositiveSmallIntegerField(
        _("level"), validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    description_en = models.CharField(_("description (English)"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("level")
        verbose_name_plural = _("levels")
        ordering = ["version", "number"]
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="unique_level_number")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.label}"

    @property
    def label(self) -> str:
        return localized(self, "name")


class CompetencyKind(models.TextChoices):
    VAKMANSCHAP = "vakmanschap", _("Craftsmanship 3.0")
    KERNWAARDE = "kernwaarde", _("Core value")


class Competency(models.Model):
    version = models.ForeignKey(
        FrameworkVersion, on_delete=models.CASCADE, related_name="competencies"
    )
    code = models.CharField(_("code"), max_length=20, validators=[COMPETENCY_CODE])
    kind = models.CharField(_("kind"), max_length=12, choices=CompetencyKind.choices)
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    description = models.TextField(_("description"))
    description_en = models.TextField(_("description (English)"), blank=True)
    why_daily = models.TextField(_("why it matters in daily work"))
    why_daily_en = models.TextField(_("why it matters in daily work (English)"), blank=True)
    why_career = models.TextField(_("why it matters for the career"))
    why_career_en = models.TextField(_("why it matters for the career (English)"), blank=True)
    case_uri = models.URLField(_("CASE item URI"), blank=True)
    esco_uri = models.URLField(_("ESCO URI"), blank=True)

    class Meta:
        verbose_name = _("competency")
        verbose_name_plural = _("competencies")
        ordering = ["version", "kind", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="unique_competency_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"

    @property
    def label(self) -> str:
        return localized(self, "name")

    @property
    def why_daily_label(self) -> str:
        return localized(self, "why_daily")

    @property
    def why_career_label(self) -> str:
        return localized(self, "why_career")


class Indicator(models.Model):
    """An observable behaviour at one level: later a questionnaire item."""

    competency = models.ForeignKey(Competency, on_delete=models.CASCADE, related_name="indicators")
    level = models.PositiveSmallIntegerField(
        _("level"), validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("behaviour"), max_length=300)
    text_en = models.CharField(_("behaviour (English)"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("behavioural indicator")
        verbose_name_plural = _("behavioural indicators")
        ordering = ["competency", "level", "position", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return localized(self, "text")


class RoleProfile(models.Model):
    """A job's desired band (minimum and target level) and weight per competency."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="role_profiles"
    )
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("role profile")
        verbose_name_plural = _("role profiles")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="unique_role_code")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return localized(self, "name")


class RoleTarget(models.Model):
    profile = models.ForeignKey(RoleProfile, on_delete=models.CASCADE, related_name="targets")
    competency_code = models.CharField(_("competency"), max_length=20)
    minimum = models.PositiveSmallIntegerField(
        _("minimum level"), validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    target = models.PositiveSmallIntegerField(
        _("target level"), validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    weight = models.DecimalField(
        _("weight"),
        max_digits=3,
        decimal_places=1,
        default=1,
        validators=[MinValueValidator(0.1), MaxValueValidator(3)],
        help_text=_("How much this competency counts for the role: 1 is normal, 2 is double."),
    )

    class Meta:
        verbose_name = _("role target")
        verbose_name_plural = _("role targets")
        ordering = ["profile", "competency_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "competency_code"], name="unique_role_target"
            ),
            models.CheckConstraint(
                condition=models.Q(minimum__lte=models.F("target")), name="minimum_below_target"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.competency_code} {self.minimum}-{self.target}"
