"""Practice: branching scenarios, their spaced-repetition cards and the attempts.

Scenario families and variants are an organisation's copy of a shipped pack
(``content/packs/oefenscenarios-*.yaml``); a variant keeps its graph as the pack wrote it. A
card is one person x competency x family, scheduled by FSRS (``practice.scheduling``). An
attempt is one run through one variant: the path taken, and when finished the performance per
competency and the rating given to FSRS. Attempts are practice evidence (source ``practice``):
they change official estimates only when the organisation lets practice count, and then with a
low weight (``practice.evidence``; docs/measurement.md section 10).
"""

import hashlib
import json
import uuid
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from vakwerk.lib.i18n import localized


def graph_digest_of(graph: Any) -> str:
    """SHA-256 of the graph as canonical JSON: equal graphs, equal digests (the copies of a
    shipped variant in several organisations share one cache entry)."""
    text = json.dumps(graph, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class ScenarioFamily(models.Model):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="scenario_families"
    )
    code = models.SlugField(_("code"), max_length=60)
    competency_codes = models.JSONField(_("competencies"), default=list)
    title = models.CharField(_("title"), max_length=160)
    title_en = models.CharField(_("title (English)"), max_length=160, blank=True)
    summary = models.TextField(_("summary"))
    summary_en = models.TextField(_("summary (English)"), blank=True)
    pack = models.CharField(_("from pack"), max_length=80, blank=True)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("scenario family")
        verbose_name_plural = _("scenario families")
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="unique_family_code")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return localized(self, "title")


class ScenarioVariant(models.Model):
    family = models.ForeignKey(ScenarioFamily, on_delete=models.CASCADE, related_name="variants")
    code = models.SlugField(_("code"), max_length=60)
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("title"), max_length=160)
    title_en = models.CharField(_("title (English)"), max_length=160, blank=True)
    setting = models.TextField(_("setting"))
    setting_en = models.TextField(_("setting (English)"), blank=True)
    # {"start": node id, "nodes": {id: node}} exactly as in the pack (texts as {nl, en}).
    graph = models.JSONField(_("scenario"))
    # A digest of ``graph`` (``graph_digest_of``), set on every save: pages and answers look
    # the parsed graph up by it in a per-process cache (``selectors.variant_graph``) instead
    # of reading and parsing tens of kilobytes of JSON on every step.
    graph_digest = models.CharField(max_length=64, editable=False, default="")
    # An edited variant that was already practised is replaced by a new one; the old one stays
    # for the attempts that went through it, and is no longer served.
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("scenario variant")
        verbose_name_plural = _("scenario variants")
        ordering = ["family", "position"]
        constraints = [
            models.UniqueConstraint(fields=["family", "code"], name="unique_variant_code")
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args: Any, **kwargs: Any) -> None:
        fields = kwargs.get("update_fields")
        if fields is None or "graph" in fields:
            self.graph_digest = graph_digest_of(self.graph)
            if fields is not None:
                kwargs["update_fields"] = {*fields, "graph_digest"}
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        return localized(self, "title")

    @property
    def setting_label(self) -> str:
        return localized(self, "setting")


class Card(models.Model):
    """What FSRS knows of one person's practice of one competency in one scenario family."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE)
    employee = models.ForeignKey(
        "people.Employee", on_delete=models.CASCADE, related_name="practice_cards"
    )
    family = models.ForeignKey(ScenarioFamily, on_delete=models.CASCADE, related_name="cards")
    competency_code = models.CharField(_("competency"), max_length=20)
    state = models.JSONField(default=dict)  # fsrs.Card.to_dict()
    due = models.DateTimeField(_("due"), db_index=True)
    reviews = models.PositiveIntegerField(default=0)
    last_variant = models.ForeignKey(
        ScenarioVariant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["due", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "family", "competency_code"], name="one_card_per_practice"
            )
        ]
        indexes = [models.Index(fields=["employee", "due"])]

    def __str__(self) -> str:
        return f"{self.employee_id}:{self.family_id}:{self.competency_code}"


class Attempt(models.Model):
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE)
    employee = models.ForeignKey(
        "people.Employee", on_delete=models.CASCADE, related_name="practice_attempts"
    )
    variant = models.ForeignKey(ScenarioVariant, on_delete=models.PROTECT, related_name="+")
    node = models.CharField(_("current node"), max_length=60)
    # [[node id, choice index], ...] in the order chosen.
    path = models.JSONField(default=list)
    # Competency code -> performance 0..1 (share of the best available effect chosen).
    scores = models.JSONField(default=dict)
    ratings = models.JSONField(default=dict)  # competency code -> FSRS rating 1..4
    ending = models.CharField(max_length=10, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["employee", "finished_at"])]

    def __str__(self) -> str:
        return f"{self.employee_id}:{self.variant_id}:{len(self.path)}"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None


class ExerciseKind(models.TextChoices):
    JUDGEMENT = "judgement", _("Judgement exercise")
    CARD = "card", _("Insight card")
    REFLECTION = "reflection", _("Reflection prompt")


class Exercise(models.Model):
    """One item of the practice bank (never used for measurement). ``content`` is the item as
    the pack wrote it: texts as {nl, en}; options with ``best`` / ``correct`` and feedback."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="exercises"
    )
    code = models.SlugField(_("code"), max_length=60)
    kind = models.CharField(_("kind"), max_length=12, choices=ExerciseKind.choices)
    competency_code = models.CharField(_("competency"), max_length=20)
    content = models.JSONField(_("content"))
    pack = models.CharField(_("from pack"), max_length=80, blank=True)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("exercise")
        verbose_name_plural = _("exercises")
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="unique_exercise_code")
        ]

    def __str__(self) -> str:
        return self.code


class ExerciseAnswer(models.Model):
    """An answer to a judgement exercise or an insight card's check question."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE)
    employee = models.ForeignKey(
        "people.Employee", on_delete=models.CASCADE, related_name="exercise_answers"
    )
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="answers")
    choice = models.PositiveSmallIntegerField()
    correct = models.BooleanField()
    answered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-answered_at", "-id"]
        indexes = [models.Index(fields=["employee", "answered_at"])]

    def __str__(self) -> str:
        return f"{self.employee_id}:{self.exercise_id}={self.choice}"


class JournalEntry(models.Model):
    """The private journal: only the employee reads it. Not their manager, not HR, not in any
    report or export of others; the audit log records that an entry changed, never its text."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE)
    employee = models.ForeignKey(
        "people.Employee", on_delete=models.CASCADE, related_name="journal_entries"
    )
    prompt = models.ForeignKey(
        Exercise, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.TextField(_("what I noticed"), max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.employee_id}:{self.created_at:%Y-%m-%d}"
