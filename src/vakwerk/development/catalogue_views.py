"""HR's catalogue pages ("Leeraanbod"): list, add, edit, retire and offer again."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vakwerk.audit.services import Actor
from vakwerk.development import catalogue_selectors, catalogue_services
from vakwerk.development.catalogue_forms import ActivityForm
from vakwerk.development.models import Activity, ActivityFormat
from vakwerk.frameworks.selectors import current_competency_labels
from vakwerk.lib.pagination import paginate, querystring_without_page
from vakwerk.organisations.models import Role
from vakwerk.organisations.permissions import OrganisationRequest, role_required

PER_PAGE = 50
STATUSES = (
    (catalogue_selectors.ALL, gettext_lazy("All")),
    (catalogue_selectors.OFFERED, gettext_lazy("Offered")),
    (catalogue_selectors.RETIRED, gettext_lazy("Retired")),
)


def duration_label(minutes: int) -> str:
    """ "15 min", "2 h" or "1 h 30 min": durations as people say them."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(minutes)s min") % {"minutes": rest}
    if not rest:
        return _("%(hours)s h") % {"hours": hours}
    return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}


@dataclass
class Row:
    """One line of the catalogue table, with the competency names already looked up."""

    activity: Activity
    competencies: list[str]
    duration: str


def _rows(activities: list[Activity], labels: dict[str, str]) -> list[Row]:
    return [
        Row(
            activity=activity,
            competencies=[labels.get(code, code) for code in activity.competency_codes],
            duration=duration_label(activity.minutes),
        )
        for activity in activities
    ]


@role_required(Role.HR)
@require_GET
def activity_list(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    labels = current_competency_labels(organisation)
    competencies = sorted(
        ((code, labels.get(code, code)) for code in catalogue_selectors.codes_in_use(organisation)),
        key=lambda pair: pair[1].casefold(),
    )
    search = request.GET.get("zoek", "").strip()[:100]
    competency = request.GET.get("competentie", "")
    if competency not in dict(competencies):
        competency = ""
    activity_format = request.GET.get("vorm", "")
    if activity_format not in ActivityFormat.values:
        activity_format = ""
    status = request.GET.get("status", catalogue_selectors.ALL)
    if status not in dict(STATUSES):
        status = catalogue_selectors.ALL
    found = catalogue_selectors.activities(
        organisation,
        search=search,
        competency=competency,
        activity_format=activity_format,
        status=status,
    )
    page = paginate(request, found, per_page=PER_PAGE)
    context = {
        "page": page,
        "rows": _rows(list(page.object_list), labels),
        "querystring": querystring_without_page(request),
        "search": search,
        "competencies": competencies,
        "competency": competency,
        "formats": ActivityFormat.choices,
        "activity_format": activity_format,
        "statuses": STATUSES,
        "status": status,
        "filtered": bool(
            search or competency or activity_format or status != catalogue_selectors.ALL
        ),
    }
    return render(request, "development/catalogue/activity_list.html", context)


def _add_service_error(form: ActivityForm, error: ValidationError) -> None:
    """Errors of the service next to their field; anything else at the top of the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, field_messages in error.message_dict.items():
        form.add_error(field if field in form.fields else NON_FIELD_ERRORS, field_messages)


def _activity_form(request: OrganisationRequest, activity: Activity | None) -> HttpResponse:
    labels = current_competency_labels(request.organisation)
    if activity is None and not labels:
        messages.error(
            request,
            _("Publish a framework first: learning activities refer to its competencies."),
        )
        return redirect("frameworks:list")
    heading = activity.label if activity else _("Add an activity")
    instance = activity or Activity(organisation=request.organisation)
    form = ActivityForm(request.POST or None, instance=instance, competencies=labels)
    if request.method == "POST" and form.is_valid():
        try:
            saved = catalogue_services.activity_save(
                activity=form.instance, actor=Actor.from_request(request)
            )
        except ValidationError as error:
            _add_service_error(form, error)
        else:
            messages.success(
                request, _("Activity %(title)s has been saved.") % {"title": saved.label}
            )
            return redirect("catalogue:list")
    context = {
        "form": form,
        "activity": activity,
        "heading": heading,
        "plan_count": activity.plan_items.count() if activity else 0,
    }
    return render(request, "development/catalogue/activity_form.html", context)


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def activity_create(request: OrganisationRequest) -> HttpResponse:
    return _activity_form(request, None)


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def activity_edit(request: OrganisationRequest, activity_id: int) -> HttpResponse:
    activity = get_object_or_404(Activity, pk=activity_id, organisation=request.organisation)
    return _activity_form(request, activity)


def _set_offered(request: OrganisationRequest, activity_id: int, *, offered: bool) -> HttpResponse:
    activity = get_object_or_404(Activity, pk=activity_id, organisation=request.organisation)
    catalogue_services.activity_set_offered(
        activity=activity, actor=Actor.from_request(request), offered=offered
    )
    if offered:
        message = _("%(title)s is offered again.")
    else:
        message = _("%(title)s has been retired; plans that chose it keep it.")
    messages.success(request, message % {"title": activity.label})
    return redirect("catalogue:edit", activity_id=activity.pk)


@role_required(Role.HR)
@require_POST
def activity_retire(request: OrganisationRequest, activity_id: int) -> HttpResponse:
    return _set_offered(request, activity_id, offered=False)


@role_required(Role.HR)
@require_POST
def activity_offer(request: OrganisationRequest, activity_id: int) -> HttpResponse:
    return _set_offered(request, activity_id, offered=True)
