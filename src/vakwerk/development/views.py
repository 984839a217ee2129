"""Development plan pages: my plan (proposal, edit, submit, progress), the manager's review,
the conversation guide, and HR's learning needs.

Who may open a plan: its employee; their manager (to review it; the levels in it only when
the organisation's policy lets the manager see results); HR when the HR policy lets them see
results. Anyone else gets 404. Looks by others are audited like looks at results.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vakwerk.audit.services import Actor, audit_log
from vakwerk.development import selectors, services
from vakwerk.development.forms import (
    AddActivityForm,
    DecideForm,
    PlanEditForm,
    ProgressForm,
    TalkForm,
)
from vakwerk.development.models import Plan, PlanItem, PlanStatus
from vakwerk.insights import selectors as insight_selectors
from vakwerk.insights.access import hr_sees, manager_sees
from vakwerk.insights.exports import FORMATS, XLSX
from vakwerk.lib.ids import parse_id
from vakwerk.lib.spreadsheets import csv_response, xlsx_response
from vakwerk.organisations.models import Role
from vakwerk.organisations.permissions import OrganisationRequest, role_required
from vakwerk.people import selectors as people_selectors

OWNER, MANAGER, HR = "owner", "manager", "hr"


def _me(request: OrganisationRequest) -> Any:
    return people_selectors.employee_of(request.organisation, request.user)


def _plan(request: OrganisationRequest, plan_id: int) -> tuple[Plan, str, bool]:
    """The plan, the viewer's relation to it, and whether the viewer may see its levels."""
    plan = selectors.plan_of(request.organisation, plan_id)
    me = _me(request)
    employee = plan.employee
    if me is not None and employee.pk == me.pk:
        return plan, OWNER, True
    if request.membership.is_manager and me is not None and employee.manager_id == me.pk:
        return plan, MANAGER, manager_sees(employee)
    if request.membership.is_hr and hr_sees(employee):
        return plan, HR, True
    raise Http404


def _looked(request: OrganisationRequest, plan: Plan, relation: str, action: str) -> None:
    if relation != OWNER:
        audit_log(
            organisation=request.organisation,
            actor=Actor.from_request(request),
            action=action,
            target=plan.employee,
            details={"plan": plan.pk},
        )


@role_required()
@require_GET
def mine(request: OrganisationRequest) -> HttpResponse:
    me = _me(request)
    if me is None:
        return render(request, "insights/no_employee.html")
    plans = list(selectors.plans_of(request.organisation, me))
    basis = selectors.proposal_basis(request.organisation, me)
    current = next(
        (p for p in plans if p.round_id == (basis.round.pk if basis.round else None)), None
    )
    context = {"plans": plans, "basis": basis, "current": current, "employee": me}
    return render(request, "development/mine.html", context)


@role_required()
@require_POST
def propose(request: OrganisationRequest) -> HttpResponse:
    me = _me(request)
    if me is None:
        raise Http404
    basis, proposal = selectors.proposal_for(request.organisation, me)
    if not basis.standings:
        messages.error(
            request,
            _("Your role profile sets no competencies yet, so there is nothing to plan. Ask HR."),
        )
        return redirect("development:mine")
    plan = services.plan_create(
        employee=me, round_=basis.round, proposal=proposal, actor=Actor.from_request(request)
    )
    for gap in proposal.gaps:
        messages.warning(request, gap)
    return redirect("development:plan", plan_id=plan.pk)


def _labels(plan: Plan) -> dict[str, str]:
    return selectors.competency_labels(plan.organisation, plan.round)


def _plan_context(plan: Plan, relation: str, levels: bool) -> dict[str, Any]:
    plan = selectors.plan_details(plan)
    competencies = selectors.competencies_for(plan.organisation, plan.round)
    labels = {code: c.label for code, c in competencies.items()}
    focuses = [
        {"focus": f, "label": labels.get(f.competency_code, f.competency_code)}
        for f in plan.focuses.all()
    ]
    return {
        "plan": plan,
        "relation": relation,
        "show_levels": levels,
        # The levels are those of the plan's round: mark them when that round is old.
        "levels_outdated": plan.round is not None
        and insight_selectors.round_is_outdated(plan.organisation, plan.round),
        "focuses": focuses,
        "competencies": competencies,
        "items": list(plan.items.all()),
        "labels": labels,
    }


@role_required()
@require_GET
def plan(request: OrganisationRequest, plan_id: int) -> HttpResponse:
    found, relation, levels = _plan(request, plan_id)
    context = _plan_context(found, relation, levels)
    plan = context["plan"]
    if relation == OWNER and plan.is_editable:
        context["edit_form"] = PlanEditForm(plan=plan, labels=context["labels"])
        context["add_form"] = AddActivityForm(plan=plan)
    if relation == MANAGER and plan.status == PlanStatus.SUBMITTED:
        context["decide_form"] = DecideForm()
    if relation in (OWNER, MANAGER):
        context["talk_form"] = TalkForm(initial={"talk_on": plan.talk_on})
    if relation == OWNER and plan.status == PlanStatus.APPROVED:
        context["progress_forms"] = {
            item.pk: ProgressForm(
                initial={"status": item.status, "reflection": item.reflection},
                prefix=f"item{item.pk}",
            )
            for item in context["items"]
        }
    _looked(request, plan, relation, "plan.view")
    return render(request, "development/plan.html", context)


@role_required()
@require_POST
def plan_talk(request: OrganisationRequest, plan_id: int) -> HttpResponse:
    """The employee or their manager sets the day of the development talk."""
    found, relation, levels = _plan(request, plan_id)
    if relation not in (OWNER, MANAGER):
        raise Http404
    form = TalkForm(request.POST)
    if form.is_valid():
        try:
            services.plan_talk_set(
                plan=found, actor=Actor.from_request(request), talk_on=form.cleaned_data["talk_on"]
            )
        except ValidationError as error:
            form.add_error("talk_on", error.message_dict.get("talk_on", error.messages))
        else:
            messages.success(request, _("The day of the development talk has been saved."))
            return redirect("development:plan", plan_id=found.pk)
    context = _plan_context(found, relation, levels)
    context["talk_form"] = form
    return render(request, "development/plan.html", context, status=400)


def _owned(request: OrganisationRequest, plan_id: int) -> Plan:
    """A plan of the viewer's own (others, even with a right to look, get 404 here)."""
    found, relation, _levels = _plan(request, plan_id)
    if relation != OWNER:
        raise Http404
    return found


def _errors(request: OrganisationRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@role_required()
@require_POST
def plan_update(request: OrganisationRequest, plan_id: int) -> HttpResponse:
    found = _owned(request, plan_id)
    form = PlanEditForm(request.POST, plan=found, labels=_labels(found))
    if not form.is_valid():
        context = _plan_context(found, OWNER, True)
        context["edit_form"] = form
        context["add_form"] = AddActivityForm(plan=found)
        return render(request, "development/plan.html", context, status=400)
    try:
        services.plan_update(
            plan=found,
            actor=Actor.from_request(request),
            goals=form.goals(),
            due_dates=form.due_dates(),
            remove=form.removed(),
        )
    except ValidationError as error:
        _errors(request, error)
        return redirect("development:plan", plan_id=found.pk)
    if "submit" not in request.POST:
        messages.success(request, _("Your plan has been saved."))
        return redirect("development:plan", plan_id=found.pk)
    return _submit(request, found)


@role_required()
@require_POST
def plan_add(request: OrganisationRequest, plan_id: int) -> HttpResponse:
    found = _owned(request, plan_id)
    form = AddActivityForm(request.POST, plan=found)
    if form.is_valid():
        try:
            services.plan_add_activity(
                plan=found,
                actor=Actor.from_request(request),
                activity=form.cleaned_data["activity"],
                focus=None,
                due_date=form.cleaned_data["due_date"],
            )
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("The activity has been added to your plan."))
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for problem in errors:
                messages.error(request, f"{label}: {problem}" if label else str(problem))
    return redirect("development:plan", plan_id=found.pk)


@role_required()
@require_POST
def plan_submit(request: OrganisationRequest, plan_id: int) -> HttpResponse:
    return _submit(request, _owned(request, plan_id))


def _submit(request: OrganisationRequest, found: Plan) -> HttpResponse:
    try:
        services.plan_submit(plan=found, actor=Actor.from_request(request))
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Your plan has been sent to your manager."))
    return redirect("development:plan", plan_id=found.pk)


@role_required(Role.MANAGER)
@require_POST
def plan_decide(request: OrganisationRequest, plan_id: int) -> HttpResponse:
    found, relation, _levels = _plan(request, plan_id)
    if relation != MANAGER:
        raise Http404
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether you approve or return the plan."))
        return redirect("development:plan", plan_id=found.pk)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        services.plan_decide(
            plan=found,
            actor=Actor.from_request(request),
            approve=approve,
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(
            request,
            _("The plan has been approved.") if approve else _("The plan has been returned."),
        )
    return redirect("development:plan", plan_id=found.pk)


@role_required()
@require_POST
def item_progress(request: OrganisationRequest, plan_id: int, item_id: int) -> HttpResponse:
    found = _owned(request, plan_id)
    item = get_object_or_404(PlanItem, pk=item_id, plan=found)
    form = ProgressForm(request.POST, prefix=f"item{item.pk}")
    if form.is_valid():
        services.plan_item_progress(
            item=item,
            actor=Actor.from_request(request),
            status=form.cleaned_data["status"],
            reflection=form.cleaned_data["reflection"],
        )
        messages.success(request, _("Your progress has been saved."))
    else:
        messages.error(
            request, _("Your progress could not be saved: choose planned, busy or done.")
        )
    return redirect("development:plan", plan_id=found.pk)


# --- the conversation guide ---------------------------------------------------------------


def _guide_context(request: OrganisationRequest, plan_id: int) -> dict[str, Any]:
    found, relation, levels = _plan(request, plan_id)
    context = _plan_context(found, relation, levels)
    if levels and found.round is not None:
        context["report"] = insight_selectors.personal_report(
            request.organisation,
            found.employee,
            round_id=found.round_id,
            actor=Actor.from_request(request),
            viewer_is_subject=relation == OWNER,
        )
    context["generated_at"] = timezone.now()
    _looked(request, found, relation, "plan.guide")
    return context


@role_required()
@require_GET
def guide(request: OrganisationRequest, plan_id: int) -> HttpResponse:
    return render(request, "development/guide.html", _guide_context(request, plan_id))


@role_required()
@require_GET
def guide_pdf(request: OrganisationRequest, plan_id: int) -> HttpResponse:
    context = _guide_context(request, plan_id)
    from vakwerk.lib.pdf import render_pdf  # WeasyPrint (and Pango) only when a PDF is made

    pdf = render_pdf("development/guide_pdf.html", context, request=request)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = slugify(f"gesprekskaart {context['plan'].employee.full_name}") or "gesprekskaart"
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


# --- the manager's overview ---------------------------------------------------------------


@role_required(Role.MANAGER)
@require_GET
def team(request: OrganisationRequest) -> HttpResponse:
    me = _me(request)
    waiting = list(selectors.plans_to_review(request.organisation, me)) if me else []
    plans = list(selectors.team_plans(request.organisation, me)) if me else []
    return render(request, "development/team.html", {"waiting": waiting, "plans": plans})


# --- HR: learning needs -------------------------------------------------------------------


def _needs(request: OrganisationRequest) -> selectors.LearningNeeds:
    return selectors.learning_needs(
        request.organisation,
        round_id=parse_id(request.GET.get("ronde", "")),
        department_id=parse_id(request.GET.get("afdeling", "")),
    )


@role_required(Role.HR)
@require_GET
def needs(request: OrganisationRequest) -> HttpResponse:
    found = _needs(request)
    departments = people_selectors.departments(request.organisation)
    return render(request, "development/needs.html", {"needs": found, "departments": departments})


@role_required(Role.HR)
@require_GET
def needs_export(request: OrganisationRequest, fmt: str) -> HttpResponse:
    found = _needs(request)
    if found.round is None or fmt not in FORMATS:
        raise Http404
    audit_log(
        organisation=request.organisation,
        actor=Actor.from_request(request),
        action="insights.export",
        details={"page": "learning-needs", "round": found.round.pk, "format": fmt},
    )
    header = [
        _("Type"),
        _("Name"),
        _("People below their target"),
        _("Total shortfall (levels)"),
        _("Competencies"),
    ]
    rows: list[list[Any]] = [
        [_("Competency"), n.label, n.people, round(n.shortfall, 1), ""] for n in found.competencies
    ]
    rows += [
        [_("Activity"), a.activity.label, a.people, None, ", ".join(a.competencies)]
        for a in found.activities
    ]
    name = slugify(f"{_('learning needs')} {found.round.name}") or "learning-needs"
    if fmt == XLSX:
        return xlsx_response(name, _("Learning needs"), header, rows)
    return csv_response(name, header, rows)
