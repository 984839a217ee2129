"""HR's round pages (list, create, dashboard, open/extend/close, reminders) and the manager's
team view. HR sees who has answered, never what: these views read counts only."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vakwerk.assessments import reminders, round_selectors, services
from vakwerk.assessments.models import RoundStatus
from vakwerk.assessments.round_forms import CHOICE_GROUPS, ExtendForm, RoundForm
from vakwerk.audit.services import Actor
from vakwerk.lib.ids import parse_id
from vakwerk.lib.pagination import paginate
from vakwerk.measurement import selectors as measurement_selectors
from vakwerk.organisations.models import Role
from vakwerk.organisations.permissions import OrganisationRequest, role_required
from vakwerk.people import selectors as people_selectors
from vakwerk.people.models import Team

NON_RESPONDERS_PER_PAGE = 50


def _error_messages(request: OrganisationRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@role_required(Role.HR)
@require_GET
def round_list(request: OrganisationRequest) -> HttpResponse:
    page = paginate(request, round_selectors.rounds(request.organisation), per_page=50)
    return render(request, "assessments/rounds/list.html", {"page": page})


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def round_create(request: OrganisationRequest) -> HttpResponse:
    form = RoundForm(request.POST or None, organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            round_ = services.round_create(
                round_=form.build_round(),
                actor=Actor.from_request(request),
                departments=form.cleaned_data["departments"],
                teams=form.cleaned_data["teams"],
                role_profiles=form.cleaned_data["role_profiles"],
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request, _("The round has been created. Check it, then open it when ready.")
            )
            return redirect("rounds:detail", round_id=round_.pk)
    plain_fields = [form[name] for name in form.fields if name not in CHOICE_GROUPS]
    context = {"form": form, "plain_fields": plain_fields}
    return render(request, "assessments/rounds/create.html", context)


@role_required(Role.HR)
@require_GET
def round_detail(request: OrganisationRequest, round_id: int) -> HttpResponse:
    round_ = round_selectors.round_of(request.organisation, round_id)
    context: dict[str, object] = {"round": round_}
    if round_.status == RoundStatus.DRAFT:
        context["population"] = len(services.population(round_))
    else:
        page = paginate(
            request, round_selectors.non_responders(round_), per_page=NON_RESPONDERS_PER_PAGE
        )
        context.update(
            by_team=round_selectors.rates_by_team(round_),
            by_source=round_selectors.rates_by_source(round_),
            sjt=round_selectors.sjt_rate(round_),
            page=page,
            non_responders=round_selectors.non_responder_rows(round_, list(page.object_list)),
        )
    if round_.status == RoundStatus.OPEN:
        context["extend_form"] = ExtendForm(round_=round_)
    if round_.status == RoundStatus.CLOSED:  # the estimates section (measurement app)
        context["estimates"] = measurement_selectors.round_estimates(round_)
    return render(request, "assessments/rounds/detail.html", context)


@role_required(Role.HR)
@require_POST
def round_open(request: OrganisationRequest, round_id: int) -> HttpResponse:
    round_ = round_selectors.round_of(request.organisation, round_id)
    try:
        people = services.round_open(round_=round_, actor=Actor.from_request(request))
    except ValidationError as error:
        _error_messages(request, error)
    else:
        messages.success(
            request, _("The round is open: %(count)s people are measured.") % {"count": people}
        )
    return redirect("rounds:detail", round_id=round_.pk)


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def round_extend(request: OrganisationRequest, round_id: int) -> HttpResponse:
    round_ = round_selectors.round_of(request.organisation, round_id)
    if round_.status != RoundStatus.OPEN:
        messages.error(request, _("Only an open round can be extended."))
        return redirect("rounds:detail", round_id=round_.pk)
    form = ExtendForm(request.POST or None, round_=round_)
    if request.method == "POST" and form.is_valid():
        try:
            services.round_extend(
                round_=round_,
                actor=Actor.from_request(request),
                closes_on=form.cleaned_data["closes_on"],
            )
        except ValidationError as error:
            form.add_error("closes_on" if hasattr(error, "error_dict") else None, error)
        else:
            messages.success(request, _("The round has been extended."))
            return redirect("rounds:detail", round_id=round_.pk)
    return render(request, "assessments/rounds/extend.html", {"round": round_, "form": form})


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def round_close(request: OrganisationRequest, round_id: int) -> HttpResponse:
    """GET asks for confirmation; POST closes the round."""
    round_ = round_selectors.round_of(request.organisation, round_id)
    if round_.status != RoundStatus.OPEN:
        messages.error(request, _("Only an open round can be closed."))
        return redirect("rounds:detail", round_id=round_.pk)
    if request.method == "POST":
        try:
            services.round_close(round_=round_, actor=Actor.from_request(request))
        except ValidationError as error:
            _error_messages(request, error)
        else:
            messages.success(request, _("The round is closed. Its answers can no longer change."))
        return redirect("rounds:detail", round_id=round_.pk)
    rates = round_selectors.rates_by_source(round_)
    context = {
        "round": round_,
        "open_count": sum(rate.open for rate in rates),
    }
    return render(request, "assessments/rounds/close.html", context)


@role_required(Role.HR)
@require_POST
def round_remind(request: OrganisationRequest, round_id: int) -> HttpResponse:
    """Remind the non-responders of one team (``team`` in the form), or of the whole round."""
    round_ = round_selectors.round_of(request.organisation, round_id)
    team = None
    team_id = request.POST.get("team", "")
    if team_id:
        team_pk = parse_id(team_id)
        if team_pk is None:
            raise Http404
        team = get_object_or_404(Team, pk=team_pk, organisation=request.organisation)
    try:
        reminded = reminders.remind_non_responders(
            round_=round_,
            actor=Actor.from_request(request),
            team=team,
            kind=f"manual-{timezone.localdate().isoformat()}",
            base_url=request.build_absolute_uri("/"),
        )
    except ValidationError as error:
        _error_messages(request, error)
    else:
        if reminded.recipients:
            messages.success(
                request,
                _("A reminder is on its way to %(count)s people.") % {"count": reminded.recipients},
            )
        else:
            messages.info(
                request,
                _("Nobody to remind: everyone has answered or was already reminded today."),
            )
    return redirect("rounds:detail", round_id=round_.pk)


@role_required(Role.MANAGER)
@require_GET
def team(request: OrganisationRequest, round_id: int) -> HttpResponse:
    """A manager's view of their direct reports in a round: counts only, never answers."""
    round_ = round_selectors.round_of(request.organisation, round_id)
    me = people_selectors.employee_of(request.organisation, request.user)
    rows = round_selectors.team_rates(round_, me) if me is not None else []
    if not rows:
        raise Http404
    return render(request, "assessments/rounds/team.html", {"round": round_, "rows": rows})
