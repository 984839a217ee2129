"""The practice bank: judgement exercises, insight cards and reflection prompts, and the
private journal. Loading, choosing today's item, answering, and writing in the journal."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils.translation import gettext as _

from vakwerk.api import xapi
from vakwerk.audit.services import Actor, audit_log
from vakwerk.frameworks.content import Pack
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Employee
from vakwerk.practice.models import Exercise, ExerciseAnswer, ExerciseKind, JournalEntry

PARTS = {
    "judgements": ExerciseKind.JUDGEMENT,
    "cards": ExerciseKind.CARD,
    "reflections": ExerciseKind.REFLECTION,
}


@transaction.atomic
def exercises_load_pack(*, organisation: Organisation, actor: Actor, pack: Pack) -> int:
    """Add the pack's exercises the organisation does not have yet; returns how many."""
    if pack.kind != "exercises":
        raise ValidationError(_("This is not a pack of practice exercises."))
    have = set(Exercise.objects.filter(organisation=organisation).values_list("code", flat=True))
    new = [
        Exercise(
            organisation=organisation,
            code=item["code"],
            kind=kind,
            competency_code=item["competency"],
            content=item,
            pack=pack.slug,
        )
        for part, kind in PARTS.items()
        for item in pack.data.get(part, [])
        if item["code"] not in have
    ]
    Exercise.objects.bulk_create(new)
    audit_log(
        organisation=organisation,
        actor=actor,
        action="exercises.load",
        details={"pack": pack.slug, "added": len(new)},
    )
    return len(new)


def next_exercise(
    organisation: Organisation, employee: Employee, kind: str, codes: list[str]
) -> Exercise | None:
    """Of the exercises of ``kind`` for ``codes`` (most wanted first), the one this person met
    longest ago (never met first)."""
    found = list(
        Exercise.objects.filter(
            organisation=organisation, kind=kind, is_active=True, competency_code__in=codes
        ).annotate(last=Max("answers__answered_at", filter=Q(answers__employee=employee)))
    )
    if not found:
        return None
    rank = {code: i for i, code in enumerate(codes)}
    never = dt.datetime.min.replace(tzinfo=dt.UTC)
    found.sort(key=lambda e: (e.last or never, rank.get(e.competency_code, len(rank)), e.code))
    return found[0]


def options(exercise: Exercise) -> list[dict[str, Any]]:
    if exercise.kind == ExerciseKind.CARD:
        return list(exercise.content["check"]["options"])
    return list(exercise.content.get("options", []))


def is_right(exercise: Exercise, option: dict[str, Any]) -> bool:
    return bool(option.get("correct") if exercise.kind == ExerciseKind.CARD else option.get("best"))


def last_answer_id(exercise: Exercise, employee: Employee) -> int:
    """The id of the person's latest answer to this exercise, 0 when there is none."""
    found = (
        ExerciseAnswer.objects.filter(exercise=exercise, employee=employee)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return found or 0


@transaction.atomic
def answer_save(
    *,
    exercise: Exercise,
    employee: Employee,
    choice: int,
    actor: Actor,
    after: int | None = None,
) -> ExerciseAnswer:
    """Save an answer. ``after`` is the latest answer the page was shown after (0: none):
    when a newer one exists, this post repeats one already saved (a double click, a resend
    after a lost connection) and that answer is returned instead of a second one."""
    found = options(exercise)
    if exercise.kind == ExerciseKind.REFLECTION or not 0 <= choice < len(found):
        raise ValidationError(_("Choose one of the answers shown."))
    if after is not None:
        # One answer at a time per person: a second post waits for the first to commit.
        Employee.objects.select_for_update().filter(pk=employee.pk).first()
        latest = last_answer_id(exercise, employee)
        if latest != after:
            repeated = ExerciseAnswer.objects.filter(pk=latest).first()
            if repeated is not None:
                return repeated
    answer = ExerciseAnswer.objects.create(
        organisation=exercise.organisation,
        employee=employee,
        exercise=exercise,
        choice=choice,
        correct=is_right(exercise, found[choice]),
    )
    audit_log(
        organisation=exercise.organisation,
        actor=actor,
        action="practice.answer",
        target=answer,
        details={"exercise": exercise.code, "correct": answer.correct},
    )
    xapi.exercise_answered(answer)  # an xAPI statement, when the organisation has an LRS
    return answer


@transaction.atomic
def journal_write(
    *, employee: Employee, text: str, prompt: Exercise | None, actor: Actor
) -> JournalEntry:
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write something first.")})
    entry = JournalEntry(
        organisation=employee.organisation, employee=employee, prompt=prompt, text=text
    )
    entry.full_clean()
    entry.save()
    # The text is private: the audit line says only that an entry was written.
    audit_log(organisation=employee.organisation, actor=actor, action="journal.write", target=entry)
    return entry


@transaction.atomic
def journal_delete(*, entry: JournalEntry, actor: Actor) -> None:
    organisation = entry.organisation
    audit_log(organisation=organisation, actor=actor, action="journal.delete", target=entry)
    entry.delete()
