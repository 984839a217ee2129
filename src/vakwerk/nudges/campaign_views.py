"""HR's campaign pages: the list, create and change, end early, delete, and the campaign page
with participation and practice done. HR sees counts only, never who practised what."""

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vakwerk.audit.services import Actor
from vakwerk.frameworks.selectors import current_competency_labels
from vakwerk.lib import charts
from vakwerk.lib.pagination import paginate, querystring_without_page
from vakwerk.nudges import campaign_selectors, campaign_services
from vakwerk.nudges.campaign_forms import CHOICE_GROUPS, CampaignForm
from vakwerk.nudges.campaign_selectors import CampaignFigures
from vakwerk.nudges.models import Campaign
from vakwerk.organisations.models import Role
from vakwerk.organisations.permissions import OrganisationRequest, role_required

PER_PAGE = 25
STATUSES = (
    (campaign_selectors.ALL, gettext_lazy("All")),
    (campaign_selectors.RUNNING, gettext_lazy("Running")),
    (campaign_selectors.UPCOMING, gettext_lazy("Upcoming")),
    (campaign_selectors.PAST, gettext_lazy("Past")),
)
PHASE_LABELS = {
    campaign_selectors.RUNNING: gettext_lazy("Running"),
    campaign_selectors.UPCOMING: gettext_lazy("Upcoming"),
    campaign_selectors.PAST: gettext_lazy("Past"),
}


@dataclass
class Row:
    """A campaign with what the pages print about it already looked up."""

    campaign: Campaign
    phase: str
    phase_label: str
    competencies: list[str]
    audience: str


def _labels(request: OrganisationRequest) -> dict[str, str]:
    return current_competency_labels(request.organisation)


def _row(campaign: Campaign, labels: dict[str, str], today: dt.date) -> Row:
    phase = campaign_selectors.phase(campaign, today)
    groups = [d.name for d in campaign.departments.all()] + [t.name for t in campaign.teams.all()]
    return Row(
        campaign=campaign,
        phase=phase,
        phase_label=str(PHASE_LABELS[phase]),
        competencies=[labels.get(code, code) for code in campaign.competency_codes],
        audience=", ".join(groups) if groups else _("The whole organisation"),
    )


@role_required(Role.HR)
@require_GET
def campaign_list(request: OrganisationRequest) -> HttpResponse:
    today = timezone.localdate()
    status = request.GET.get("status", campaign_selectors.ALL)
    if status not in dict(STATUSES):
        status = campaign_selectors.ALL
    found = campaign_selectors.campaigns(request.organisation, today=today, status=status)
    page = paginate(request, found, per_page=PER_PAGE)
    labels = _labels(request)
    context = {
        "page": page,
        "rows": [_row(campaign, labels, today) for campaign in page.object_list],
        "querystring": querystring_without_page(request),
        "statuses": STATUSES,
        "status": status,
        "filtered": status != campaign_selectors.ALL,
    }
    return render(request, "nudges/campaigns/list.html", context)


def _campaign_form(request: OrganisationRequest, campaign: Campaign | None) -> HttpResponse:
    labels = _labels(request)
    if campaign is None and not labels:
        messages.error(
            request, _("Publish a framework first: a campaign is about its competencies.")
        )
        return redirect("frameworks:list")
    form = CampaignForm(
        request.POST or None,
        organisation=request.organisation,
        competencies=labels,
        campaign=campaign,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {
            "title": data["title"],
            "description": data["description"],
            "competency_codes": data["competency_codes"],
            "starts_on": data["starts_on"],
            "ends_on": data["ends_on"],
            "departments": data["departments"],
            "teams": data["teams"],
        }
        actor = Actor.from_request(request)
        try:
            if campaign is None:
                saved = campaign_services.campaign_create(
                    organisation=request.organisation, actor=actor, **fields
                )
            else:
                saved = campaign_services.campaign_update(campaign=campaign, actor=actor, **fields)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request, _("The campaign %(title)s has been saved.") % {"title": saved.title}
            )
            return redirect("campaigns:detail", campaign_id=saved.pk)
    context = {
        "form": form,
        "campaign": campaign,
        "heading": _("Change %(title)s") % {"title": campaign.title}
        if campaign
        else _("New campaign"),
        "plain_fields": [form[name] for name in form.fields if name not in CHOICE_GROUPS],
    }
    return render(request, "nudges/campaigns/form.html", context)


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def campaign_create(request: OrganisationRequest) -> HttpResponse:
    return _campaign_form(request, None)


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def campaign_edit(request: OrganisationRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_selectors.campaign_of(request.organisation, campaign_id)
    return _campaign_form(request, campaign)


def _chart(figures: CampaignFigures) -> SafeString | None:
    """Practice on the theme per week, when every week's number may be shown."""
    weeks = figures.weeks
    if not weeks or not all(w.theme_shown for w in weeks):
        return None
    return charts.histogram(
        [(_("Week %(number)s") % {"number": w.number}, w.practice) for w in weeks],
        title=_("Practice on the theme per week"),
        description=_(
            "Per week of the campaign: scenario runs and practice-bank answers on the theme's "
            "competencies. The table below gives the same numbers."
        ),
    )


@role_required(Role.HR)
@require_GET
def campaign_detail(request: OrganisationRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_selectors.campaign_of(request.organisation, campaign_id)
    today = timezone.localdate()
    figures = campaign_selectors.campaign_figures(campaign, today=today)
    labels = {c.code: c.label for c in figures.competencies}
    context = {
        "campaign": campaign,
        "row": _row(campaign, labels, today),
        "figures": figures,
        "chart": _chart(figures),
        "can_end": campaign.starts_on < today <= campaign.ends_on,
    }
    return render(request, "nudges/campaigns/detail.html", context)


@role_required(Role.HR)
@require_POST
def campaign_end(request: OrganisationRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_selectors.campaign_of(request.organisation, campaign_id)
    try:
        campaign_services.campaign_end(
            campaign=campaign, actor=Actor.from_request(request), today=timezone.localdate()
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(title)s has ended; its last day was %(date)s.")
            % {"title": campaign.title, "date": date_format(campaign.ends_on, "DATE_FORMAT")},
        )
    return redirect("campaigns:detail", campaign_id=campaign.pk)


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def campaign_delete(request: OrganisationRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_selectors.campaign_of(request.organisation, campaign_id)
    if request.method == "POST":
        title = campaign.title
        campaign_services.campaign_delete(campaign=campaign, actor=Actor.from_request(request))
        messages.success(request, _("The campaign %(title)s has been deleted.") % {"title": title})
        return redirect("campaigns:list")
    return render(request, "nudges/campaigns/delete.html", {"campaign": campaign})
