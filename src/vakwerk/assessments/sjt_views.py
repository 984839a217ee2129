"""Taking a situational judgement test: one situation per page, every rating saved as given.

With htmx each change of a rating posts the page's form and gets back the progress fragment;
without JavaScript the buttons post the same form (post/redirect/get). Only the person measured
opens their own test; anyone else gets 404.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from vakwerk.assessments import services, sjt
from vakwerk.assessments.models import SjtItem, Subject
from vakwerk.audit.services import Actor
from vakwerk.organisations.permissions import OrganisationRequest, role_required

# The answer scale, 1-5, with the words shown next to each number.
SCALE = [
    (1, gettext_lazy("Very ineffective")),
    (2, gettext_lazy("Ineffective")),
    (3, gettext_lazy("Neither effective nor ineffective")),
    (4, gettext_lazy("Effective")),
    (5, gettext_lazy("Very effective")),
]


def _own_subject(request: OrganisationRequest, subject_id: int) -> Subject:
    subject = (
        Subject.objects.select_related("round", "employee")
        .filter(
            pk=subject_id,
            round__organisation=request.organisation,
            round__use_sjt=True,
            employee__organisation=request.organisation,
            employee__user=request.user,
        )
        .first()
    )
    if subject is None:
        raise Http404
    return subject


def _page_number(raw: str | None, items: list[SjtItem], ratings: dict[int, int]) -> int:
    """The 1-based page asked for; without one, the first situation not yet fully rated."""
    try:
        number = int(raw or "")
    except ValueError:
        number = next(
            (n for n, item in enumerate(items, start=1) if not sjt.item_complete(item, ratings)),
            1,
        )
    return min(max(number, 1), max(len(items), 1))


def _context(
    subject: Subject, items: list[SjtItem], ratings: dict[int, int], number: int
) -> dict[str, object]:
    item = items[number - 1] if items else None
    options = (
        [{"option": o, "rating": ratings.get(o.pk)} for o in item.options.all()] if item else []
    )
    return {
        "subject": subject,
        "round": subject.round,
        "item": item,
        "options": options,
        "number": number,
        "total": len(items),
        "done": sum(1 for i in items if sjt.item_complete(i, ratings)),
        "scale": SCALE,
        "is_open": subject.round.accepts_answers,
    }


@transaction.atomic
def _save(request: OrganisationRequest, subject: Subject, item: SjtItem) -> None:
    """Save every rating given on the page; ratings left empty are left alone."""
    for option in item.options.all():
        raw = request.POST.get(f"option-{option.pk}", "")
        if not raw:
            continue
        try:
            rating = int(raw)
        except ValueError:
            rating = 0  # refused by the service with its own message
        services.sjt_answer_save(subject=subject, option=option, rating=rating)


@role_required()
@require_http_methods(["GET", "POST"])
def take(request: OrganisationRequest, subject_id: int) -> HttpResponse:
    subject = _own_subject(request, subject_id)
    ratings = sjt.subject_ratings(subject)
    items = sjt.sjt_items_for(subject, ratings)
    number = _page_number(request.GET.get("item"), items, ratings)
    if request.method == "POST" and items:
        error, status = None, 200
        try:
            _save(request, subject, items[number - 1])
        except services.RoundClosedError as refused:
            error, status = refused.messages[0], 409
        except ValidationError as refused:
            error, status = refused.messages[0], 400
        if request.headers.get("HX-Request"):
            ratings = sjt.subject_ratings(subject)
            context = {**_context(subject, items, ratings, number), "error": error}
            context["saved"] = error is None
            return render(request, "assessments/sjt/take.html#status", context, status=status)
        if error:
            messages.error(request, error)
            target = number
        else:
            target = {"previous": number - 1, "next": number + 1}.get(
                request.POST.get("go", ""), number
            )
            if request.POST.get("go") == "finish":
                return redirect("sjt:finish", subject_id=subject.pk)
        url = reverse("sjt:take", kwargs={"subject_id": subject.pk})
        return redirect(f"{url}?item={min(max(target, 1), len(items))}")
    return render(request, "assessments/sjt/take.html", _context(subject, items, ratings, number))


@role_required()
@require_http_methods(["GET", "POST"])
def finish(request: OrganisationRequest, subject_id: int) -> HttpResponse:
    subject = _own_subject(request, subject_id)
    if request.method == "POST":
        try:
            sjt.sjt_complete(subject=subject, actor=Actor.from_request(request))
        except ValidationError as refused:
            for message in refused.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Thank you: your test has been handed in."))
        return redirect("sjt:finish", subject_id=subject.pk)
    ratings = sjt.subject_ratings(subject)
    items = sjt.sjt_items_for(subject, ratings)
    missing = [
        (number, item)
        for number, item in enumerate(items, start=1)
        if not sjt.item_complete(item, ratings)
    ]
    context = {
        "subject": subject,
        "round": subject.round,
        "total": len(items),
        "done": len(items) - len(missing),
        "missing": missing,
        "is_open": subject.round.accepts_answers,
    }
    return render(request, "assessments/sjt/finish.html", context)
