"""The employee's pulse checks: one situation per page, an optional self-check, the result.

Without JavaScript every page is a plain form (post/redirect/get); a page with a missing rating
comes back with the message next to the response and a summary at the top. Only the employee
whose pulse it is opens it; anyone else, in this organisation or another, gets 404.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from vakwerk.assessments.models import Frequency, SjtItem
from vakwerk.assessments.sjt_views import SCALE
from vakwerk.audit.services import Actor
from vakwerk.measurement import pulse_selectors, pulse_services
from vakwerk.measurement.models import PulseCheck
from vakwerk.organisations.permissions import OrganisationRequest, role_required
from vakwerk.people import selectors as people_selectors

TAKE = "pulses:take"


def _own_pulse(request: OrganisationRequest, pulse_id: int) -> PulseCheck:
    pulse = (
        PulseCheck.objects.select_related("employee", "organisation")
        .filter(
            pk=pulse_id,
            organisation=request.organisation,
            employee__organisation=request.organisation,
            employee__user=request.user,
        )
        .first()
    )
    if pulse is None:
        raise Http404
    return pulse


@role_required()
@require_http_methods(["GET", "POST"])
def mine(request: OrganisationRequest) -> HttpResponse:
    """The open pulse (or when the next one comes), the latest results, and a way to ask for a
    pulse now."""
    employee = people_selectors.employee_of(request.organisation, request.user)
    if employee is None:
        return render(request, "insights/no_employee.html")
    if request.method == "POST":
        try:
            pulse = pulse_services.pulse_request(
                organisation=request.organisation,
                employee=employee,
                actor=Actor.from_request(request),
            )
        except ValidationError as refused:
            for message in refused.messages:
                messages.error(request, message)
            return redirect("pulses:mine")
        return redirect(TAKE, pulse_id=pulse.pk)
    overview = pulse_selectors.pulse_overview(request.organisation, employee)
    return render(request, "measurement/pulse/mine.html", {"overview": overview})


def _page(raw: str | None, items: list[SjtItem], answered: set[str]) -> int:
    """The 1-based situation asked for; without one, the first not yet answered."""
    try:
        number = int(raw or "")
    except ValueError:
        number = next((n for n, i in enumerate(items, 1) if i.code not in answered), 1)
    return min(max(number, 1), max(len(items), 1))


def _take_context(
    pulse: PulseCheck,
    items: list[SjtItem],
    number: int,
    ratings: dict[int, int],
    errors: dict[int, str] | None = None,
) -> dict[str, Any]:
    item = items[number - 1]
    answered = pulse_services.answered_codes(pulse)
    return {
        "pulse": pulse,
        "item": item,
        "options": [
            {
                "option": o,
                "rating": ratings.get(o.position),
                "error": (errors or {}).get(o.position),
            }
            for o in sorted(item.options.all(), key=lambda o: o.position)
        ],
        "errors": errors or {},
        "number": number,
        "total": len(items),
        "answered": len(answered & {i.code for i in items}),
        "scale": SCALE,
        "has_self_check": bool(pulse.indicator_ids),
    }


@role_required()
@require_http_methods(["GET", "POST"])
def take(request: OrganisationRequest, pulse_id: int) -> HttpResponse:
    pulse = _own_pulse(request, pulse_id)
    if pulse.completed_at is not None:
        return redirect("pulses:result", pulse_id=pulse.pk)
    items = pulse_services.pulse_items(pulse)
    if not items:
        raise Http404
    number = _page(request.GET.get("vraag"), items, pulse_services.answered_codes(pulse))
    item = items[number - 1]
    if request.method == "GET":
        ratings = pulse_selectors.answer_ratings(pulse, item)
        return render(
            request, "measurement/pulse/take.html", _take_context(pulse, items, number, ratings)
        )
    ratings, errors = _read_ratings(request, item)
    go = request.POST.get("go", "next")
    if go == "previous" and errors:  # going back from a page not fully rated: nothing to save
        return redirect(f"{reverse(TAKE, args=[pulse.pk])}?vraag={max(number - 1, 1)}")
    if not errors:
        try:
            pulse_services.pulse_answer_save(
                pulse=pulse, item=item, ratings=ratings, actor=Actor.from_request(request)
            )
        except ValidationError as refused:
            errors = {0: refused.messages[0]}
    if errors:
        context = _take_context(pulse, items, number, ratings, errors)
        return render(request, "measurement/pulse/take.html", context, status=400)
    if go == "previous":
        return redirect(f"{reverse(TAKE, args=[pulse.pk])}?vraag={max(number - 1, 1)}")
    if number < len(items):
        return redirect(f"{reverse(TAKE, args=[pulse.pk])}?vraag={number + 1}")
    if pulse.indicator_ids:
        return redirect("pulses:self_check", pulse_id=pulse.pk)
    return _finish(request, pulse)


def _read_ratings(request: OrganisationRequest, item: SjtItem) -> tuple[dict[int, int], dict]:
    """The page's ratings by option position, and a message per response left unrated."""
    ratings: dict[int, int] = {}
    errors: dict[int, str] = {}
    for option in item.options.all():
        raw = request.POST.get(f"option-{option.position}", "")
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value in pulse_services.RATINGS:
            ratings[option.position] = value
        else:
            errors[option.position] = _("Choose a rating from 1 to 5 for this response.")
    return ratings, errors


@role_required()
@require_http_methods(["GET", "POST"])
def self_check(request: OrganisationRequest, pulse_id: int) -> HttpResponse:
    pulse = _own_pulse(request, pulse_id)
    if pulse.completed_at is not None:
        return redirect("pulses:result", pulse_id=pulse.pk)
    indicators = pulse_services.pulse_indicators(pulse)
    if not indicators:
        return redirect(TAKE, pulse_id=pulse.pk)
    if request.method == "POST":
        values: dict[int, int] = {}
        answers = {str(value): value for value in pulse_services.FREQUENCIES}
        for indicator in indicators:
            raw = request.POST.get(f"statement-{indicator.pk}", "")
            if raw in answers:  # not int(raw): "²" is a digit that int() refuses
                values[indicator.pk] = answers[raw]
        pulse_services.pulse_self_answers_save(
            pulse=pulse, values=values, actor=Actor.from_request(request)
        )
        if request.POST.get("go") == "previous":
            return redirect(f"{reverse(TAKE, args=[pulse.pk])}?vraag={len(pulse.item_codes)}")
        return _finish(request, pulse)
    given = pulse_selectors.self_answer_values(pulse)
    context = {
        "pulse": pulse,
        "statements": [
            {"indicator": i, "value": given.get(i.pk), "competency": i.competency.label}
            for i in indicators
        ],
        "frequencies": Frequency.choices,
        "total": len(pulse.item_codes),
    }
    return render(request, "measurement/pulse/self_check.html", context)


def _finish(request: OrganisationRequest, pulse: PulseCheck) -> HttpResponse:
    try:
        pulse_services.pulse_complete(pulse=pulse, actor=Actor.from_request(request))
    except ValidationError as refused:
        for message in refused.messages:
            messages.error(request, message)
        return redirect(TAKE, pulse_id=pulse.pk)
    messages.success(request, _("Thank you: your pulse check has been handed in."))
    return redirect("pulses:result", pulse_id=pulse.pk)


@role_required()
@require_POST
def finish(request: OrganisationRequest, pulse_id: int) -> HttpResponse:
    pulse = _own_pulse(request, pulse_id)
    if pulse.completed_at is not None:
        return redirect("pulses:result", pulse_id=pulse.pk)
    return _finish(request, pulse)


@role_required()
@require_http_methods(["GET"])
def result(request: OrganisationRequest, pulse_id: int) -> HttpResponse:
    pulse = _own_pulse(request, pulse_id)
    if pulse.completed_at is None:
        return redirect(TAKE, pulse_id=pulse.pk)
    context = {"result": pulse_selectors.pulse_result(request.organisation, pulse)}
    return render(request, "measurement/pulse/result.html", context)
