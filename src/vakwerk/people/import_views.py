"""HR pages of the people import: upload → dry-run preview → apply → result or progress.

Kept apart from ``views.py`` because the import has its own form, pages and job lookup. A job
of another organisation is 404 for everyone, checked before the role (so the isolation test
sees 404 for every role); inside the organisation only HR may open a job.
"""

from datetime import date
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Field
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from vakwerk.audit.services import Actor
from vakwerk.lib.forms import StyledForm
from vakwerk.organisations.models import Role
from vakwerk.organisations.permissions import OrganisationRequest, role_required
from vakwerk.people import importing
from vakwerk.people.models import Employee, ImportJob, ImportStatus

# The changed fields of an update, as the preview names them (the model's own labels).
FIELD_LABELS = {
    name: cast("Field[Any, Any]", Employee._meta.get_field(name)).verbose_name
    for name in (
        "employee_number",
        "first_name",
        "last_name",
        "email",
        "job_title",
        "role_profile",
        "manager",
        "start_date",
        "end_date",
    )
}
FIELD_LABELS["team"] = gettext_lazy("team")


class ImportUploadForm(StyledForm):
    file = forms.FileField(
        label=gettext_lazy("File with people"),
        help_text=gettext_lazy(
            "CSV (separated by ; or ,) or XLSX, at most 5 MB. Required columns: "
            "personeelsnummer, voornaam, achternaam, e-mail. Optional: tussenvoegsel, functie, "
            "afdeling, team, functieprofiel, leidinggevende (their employee number), datum in "
            "dienst, datum uit dienst. English headers work too; other columns are ignored."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > importing.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(max)s MB. Split it into smaller files.")
                % {"max": importing.MAX_BYTES // (1024 * 1024)}
            )
        return upload


def _job(request: OrganisationRequest, job_id: int) -> ImportJob:
    """The job, 404 outside the organisation (checked before anything else), 403 for non-HR.

    Hence these views check the HTTP method after this lookup, not with a decorator."""
    job = get_object_or_404(ImportJob, pk=job_id, organisation=request.organisation)
    if not request.membership.has_role(Role.HR):
        raise PermissionDenied
    return job


def _result_context(job: ImportJob) -> dict[str, Any]:
    result = job.result or {}
    labels = {name: str(label) for name, label in FIELD_LABELS.items()}
    changes = []
    for kind in ("updates", "leavers"):
        for item in result.get(kind, []):
            fields = ", ".join(labels.get(name, name) for name in item.get("changed", []))
            end = date.fromisoformat(item["end_date"]) if item.get("end_date") else None
            changes.append({**item, "kind": kind, "fields": fields, "end_date": end})
    return {
        "job": job,
        "summary": result.get("summary", {}),
        "errors": [importing.RowError.from_dict(item) for item in result.get("errors", [])],
        "creates": result.get("creates", []),
        "changes": changes,
        "teams": result.get("teams", []),
        "teams_moved": result.get("teams_moved", []),
        "departments": result.get("departments", []),
        "cap": importing.PREVIEW_CAP,
        "errors_cap": importing.ERRORS_CAP,
    }


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def import_upload(request: OrganisationRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = importing.import_job_create(
                organisation=request.organisation,
                actor=Actor.from_request(request),
                file_name=upload.name or "",
                data=upload.read(),
            )
        except importing.ImportFileError as error:
            form.add_error("file", str(error.message))
        else:
            return redirect("people:import_preview", job_id=job.pk)
    return render(request, "people/import_upload.html", {"form": form})


@role_required()
def import_preview(request: OrganisationRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    if job.status not in (ImportStatus.CHECKED, ImportStatus.INVALID):
        return redirect("people:import_job", job_id=job.pk)
    return render(request, "people/import_preview.html", _result_context(job))


@role_required()
def import_apply(request: OrganisationRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if job.status != ImportStatus.CHECKED:
        messages.error(request, _("This import cannot be applied: it has errors or already ran."))
        return redirect("people:import_preview", job_id=job.pk)
    importing.import_job_start(job=job, actor=Actor.from_request(request))
    return redirect("people:import_job", job_id=job.pk)


@role_required()
def import_job(request: OrganisationRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    template = "people/import_job.html"
    if request.headers.get("HX-Request"):
        template += "#progress"
    return render(request, template, _result_context(job))
