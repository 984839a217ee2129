"""Daily practice pages (mobile first): today's session, and a scenario run step by step.

A scenario page is plain HTML: every choice is a submit button of one form, so it works with
the keyboard alone, with a screen reader and without JavaScript. Only the employee sees their
own practice: another person's attempt or card is a 404.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from vakwerk.audit.services import Actor
from vakwerk.frameworks.selectors import current_competency_labels
from vakwerk.lib.i18n import pack_text
from vakwerk.lib.ids import parse_id
from vakwerk.nudges import campaign_selectors
from vakwerk.organisations.permissions import OrganisationRequest, role_required
from vakwerk.people.models import Employee
from vakwerk.practice import selectors, services
from vakwerk.practice.models import Attempt, Card


def own_employee(request: OrganisationRequest) -> Employee:
    """The viewer's own employee record; 404 for a member without one."""
    me = selectors.own_employee(request.organisation, request.user)
    if me is None:
        raise Http404
    return me


@role_required()
@require_GET
def today(request: OrganisationRequest) -> HttpResponse:
    me = selectors.own_employee(request.organisation, request.user)
    if me is None:
        return render(request, "insights/no_employee.html")
    now = timezone.now()
    # Read once, for the codes practised and for today's session.
    families = selectors.scenario_families(request.organisation)
    campaigns = campaign_selectors.active_campaigns_for(me, timezone.localdate(now))
    codes = selectors.practice_codes(
        request.organisation, me, families=families, campaigns=campaigns
    )
    found = selectors.today(
        request.organisation, me, now, codes=codes, families=families, campaigns=campaigns
    )
    if found.cards_missing:  # a first visit, or new families or competencies: rare
        services.cards_ensure(employee=me, codes=codes, now=now)
        found = selectors.today(
            request.organisation, me, now, codes=codes, families=families, campaigns=campaigns
        )
    return render(request, "practice/today.html", {"today": found})


@role_required()
@require_POST
def start(request: OrganisationRequest, card_id: int) -> HttpResponse:
    try:  # read locked from the person's own cards only: anyone else's is a 404
        attempt = services.attempt_start(
            card_id=card_id, cards=selectors.own_cards(request.organisation, request.user)
        )
    except Card.DoesNotExist:
        raise Http404 from None
    return redirect("practice:scenario", attempt_id=attempt.pk)


def _step(attempt: Attempt) -> dict[str, Any]:
    nodes = selectors.variant_graph(attempt.variant)["nodes"]
    node = nodes[attempt.node]
    last = None
    if attempt.path:
        node_id, index = attempt.path[-1]
        chosen = nodes[node_id]["choices"][index]
        last = {"text": pack_text(chosen["text"]), "feedback": pack_text(chosen["feedback"])}
    return {
        "speaker": pack_text(node.get("speaker")),
        "text": pack_text(node.get("text")),
        "choices": [pack_text(c["text"]) for c in node.get("choices") or []],
        "ending": node.get("ending"),
        "debrief": pack_text(node.get("debrief")),
        "last": last,
        "number": len(attempt.path) + 1,
    }


@role_required()
@require_GET
def scenario(request: OrganisationRequest, attempt_id: int) -> HttpResponse:
    attempt = selectors.attempt_of(request.organisation, request.user, attempt_id)
    if attempt is None:
        raise Http404
    context: dict[str, Any] = {"attempt": attempt, "step": _step(attempt)}
    if attempt.is_finished:
        cards = Card.objects.filter(
            employee_id=attempt.employee_id, family_id=attempt.variant.family_id
        ).order_by("due")
        context["cards"] = list(cards)
        labels = current_competency_labels(request.organisation)
        context["scores"] = [
            (labels.get(code, code), score) for code, score in sorted(attempt.scores.items())
        ]
    return render(request, "practice/scenario.html", context)


@role_required()
@require_POST
def choose(request: OrganisationRequest, attempt_id: int) -> HttpResponse:
    raw = request.POST.get("choice", "")
    choice = int(raw) if raw.isascii() and raw.isdecimal() and len(raw) <= 2 else -1
    step = parse_id(request.POST.get("step", ""))
    try:
        # Read locked from the person's own attempts only: anyone else's is a 404.
        services.attempt_choose(
            organisation=request.organisation,
            user=request.user,
            attempt_id=attempt_id,
            node=request.POST.get("node", "")[:60],
            choice=choice,
            actor=Actor.from_request(request),
            step=step,
        )
    except Attempt.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("practice:scenario", attempt_id=attempt_id)
