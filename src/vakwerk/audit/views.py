from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from vakwerk.audit import selectors
from vakwerk.audit.forms import AuditFilterForm
from vakwerk.lib.pagination import paginate, querystring_without_page
from vakwerk.organisations.models import Role
from vakwerk.organisations.permissions import OrganisationRequest, role_required


@role_required(Role.HR, Role.ADMIN)
@require_GET
def events(request: OrganisationRequest) -> HttpResponse:
    form = AuditFilterForm(
        request.GET or None, actions=selectors.audit_actions(request.organisation)
    )
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    found = selectors.audit_events(
        request.organisation,
        action=filters.get("action", ""),
        actor=filters.get("actor", ""),
        result=filters.get("result", ""),
        since=filters.get("since"),
        until=filters.get("until"),
    )
    context = {
        "form": form,
        "page": paginate(request, found, per_page=50),
        "querystring": querystring_without_page(request),
    }
    return render(request, "audit/events.html", context)
