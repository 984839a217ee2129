"""HR's page for the organisation's Learning Record Store (xAPI): settings, a connection
test, and how many statements wait, went and were refused."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from vakwerk.api import xapi
from vakwerk.api.models import LrsConnection
from vakwerk.api.xapi_forms import LrsConnectionForm
from vakwerk.audit.services import Actor
from vakwerk.organisations.models import Role
from vakwerk.organisations.permissions import OrganisationRequest, role_required


@role_required(Role.HR, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def lrs_settings(request: OrganisationRequest) -> HttpResponse:
    existing = LrsConnection.objects.filter(organisation=request.organisation).first()
    form = LrsConnectionForm(request.POST or None, instance=existing)
    if request.method == "POST" and form.is_valid():
        xapi.lrs_connection_save(
            organisation=request.organisation,
            actor=Actor.from_request(request),
            endpoint=form.cleaned_data["endpoint"],
            key=form.cleaned_data["key"],
            secret=form.cleaned_data["secret"],
            is_enabled=form.cleaned_data["is_enabled"],
        )
        messages.success(request, _("The LRS settings have been saved."))
        return redirect("xapi:settings")
    return render(
        request,
        "api/xapi_settings.html",
        {
            "form": form,
            "existing": existing,
            "counts": xapi.statement_counts(request.organisation),
            "last_error": xapi.last_error(request.organisation),
        },
    )


@role_required(Role.HR, Role.ADMIN)
@require_POST
def lrs_test(request: OrganisationRequest) -> HttpResponse:
    connection = LrsConnection.objects.filter(organisation=request.organisation).first()
    if connection is None:
        messages.error(request, _("Save the LRS settings first."))
        return redirect("xapi:settings")
    result = xapi.lrs_check(connection)
    (messages.success if result.ok else messages.error)(request, result.message)
    return redirect("xapi:settings")


@role_required(Role.HR, Role.ADMIN)
@require_POST
def lrs_retry_failed(request: OrganisationRequest) -> HttpResponse:
    count = xapi.statements_retry_failed(
        organisation=request.organisation, actor=Actor.from_request(request)
    )
    messages.success(
        request,
        ngettext(
            "%(count)s refused statement will be sent again.",
            "%(count)s refused statements will be sent again.",
            count,
        )
        % {"count": count},
    )
    return redirect("xapi:settings")
