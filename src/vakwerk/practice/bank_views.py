"""Practice bank pages: a judgement exercise, an insight card and the private journal.

Only the employee sees their own answers and journal: there is no page, report or export that
shows them to anyone else, and every lookup is by the person's own employee record.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from vakwerk.audit.services import Actor
from vakwerk.lib.i18n import pack_text
from vakwerk.lib.ids import parse_id
from vakwerk.organisations.permissions import OrganisationRequest, role_required
from vakwerk.practice import bank
from vakwerk.practice.models import Exercise, ExerciseAnswer, ExerciseKind, JournalEntry
from vakwerk.practice.views import own_employee


def _exercise(request: OrganisationRequest, exercise_id: int, kind: str) -> Exercise:
    return get_object_or_404(
        Exercise, pk=exercise_id, organisation=request.organisation, kind=kind, is_active=True
    )


def _answer_page(request: OrganisationRequest, exercise: Exercise, url_name: str) -> HttpResponse:
    """POST an answer, then GET the page with its feedback (so a reload answers nothing)."""
    me = own_employee(request)
    if request.method == "POST":
        raw = request.POST.get("choice", "")
        choice = int(raw) if raw.isascii() and raw.isdecimal() and len(raw) <= 2 else -1
        # The answer the page was shown after (0: none); a second post of the same page (a
        # double click, a resend) finds a newer answer and saves nothing.
        raw_after = request.POST.get("na", "")
        after = 0 if raw_after == "0" else parse_id(raw_after)
        try:
            saved = bank.answer_save(
                exercise=exercise,
                employee=me,
                choice=choice,
                actor=Actor.from_request(request),
                after=after,
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect(url_name, exercise_id=exercise.pk)
        return redirect(f"{reverse(url_name, args=[exercise.pk])}?antwoord={saved.pk}")
    answer_id = parse_id(request.GET.get("antwoord", ""))
    answer = (
        ExerciseAnswer.objects.filter(pk=answer_id, employee=me, exercise=exercise).first()
        if answer_id
        else None
    )
    content = exercise.content
    options = [
        {
            "text": pack_text(option["text"]),
            "feedback": pack_text(option["feedback"]),
            "right": bank.is_right(exercise, option),
            "chosen": answer is not None and index == answer.choice,
        }
        for index, option in enumerate(bank.options(exercise))
    ]
    context = {
        "exercise": exercise,
        "title": pack_text(content.get("title")),
        "text": pack_text(content.get("situation") or content.get("text")),
        "question": pack_text(content.get("question") or content.get("check", {}).get("question")),
        "options": options,
        "answer": answer,
        "action": reverse(url_name, args=[exercise.pk]),
        "last_answer_id": bank.last_answer_id(exercise, me),
    }
    return render(request, "practice/judgement.html", context)


@role_required()
@require_http_methods(["GET", "POST"])
def judgement(request: OrganisationRequest, exercise_id: int) -> HttpResponse:
    exercise = _exercise(request, exercise_id, ExerciseKind.JUDGEMENT)
    return _answer_page(request, exercise, "bank:judgement")


@role_required()
@require_http_methods(["GET", "POST"])
def card(request: OrganisationRequest, exercise_id: int) -> HttpResponse:
    exercise = _exercise(request, exercise_id, ExerciseKind.CARD)
    return _answer_page(request, exercise, "bank:card")


@role_required()
@require_http_methods(["GET", "POST"])
def journal(request: OrganisationRequest) -> HttpResponse:
    me = own_employee(request)
    prompt_id = parse_id(request.GET.get("vraag", "") or request.POST.get("vraag", ""))
    prompt = (
        Exercise.objects.filter(
            pk=prompt_id, organisation=request.organisation, kind=ExerciseKind.REFLECTION
        ).first()
        if prompt_id
        else None
    )
    error = ""
    text = ""
    if request.method == "POST":
        text = request.POST.get("text", "")
        try:
            bank.journal_write(
                employee=me, text=text, prompt=prompt, actor=Actor.from_request(request)
            )
        except ValidationError as problem:
            error = " ".join(problem.messages)
        else:
            messages.success(request, _("Saved in your journal."))
            return redirect("bank:journal")
    entries = JournalEntry.objects.filter(organisation=request.organisation, employee=me)
    context = {
        "entries": [
            (entry, pack_text(entry.prompt.content["prompt"]) if entry.prompt else "")
            for entry in entries
        ],
        "prompt": prompt,
        "prompt_text": pack_text(prompt.content["prompt"]) if prompt else "",
        "error": error,
        "text": text,
    }
    return render(request, "practice/journal.html", context, status=400 if error else 200)


@role_required()
@require_POST
def journal_delete(request: OrganisationRequest, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(
        JournalEntry, pk=entry_id, organisation=request.organisation, employee=own_employee(request)
    )
    bank.journal_delete(entry=entry, actor=Actor.from_request(request))
    messages.success(request, _("The entry has been deleted."))
    return redirect("bank:journal")
