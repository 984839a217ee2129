"""CASE v1.1 export and import pages for HR (see ``vakwerk.frameworks.case``)."""

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from vakwerk.audit.services import Actor
from vakwerk.frameworks.case import CaseError, case_to_draft, parse_case_json, version_case_export
from vakwerk.frameworks.models import FrameworkVersion
from vakwerk.lib.forms import StyledForm, mark_invalid
from vakwerk.organisations.models import Role
from vakwerk.organisations.permissions import OrganisationRequest, role_required

MAX_CASE_BYTES = 2 * 1024 * 1024


class CaseImportForm(StyledForm):
    file = forms.FileField(
        label=gettext_lazy("CASE file"),
        help_text=gettext_lazy("A CASE v1.1 package (JSON), at most 2 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )
    name = forms.CharField(
        label=gettext_lazy("Name of the new framework"),
        required=False,
        max_length=120,
        help_text=gettext_lazy("Leave empty to use the title in the file."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.package: dict[str, Any] = {}

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_CASE_BYTES:
            raise ValidationError(_("The file is larger than 2 MB."))
        try:
            # The content decides, not the name or the browser's content type.
            self.package = parse_case_json(upload.read(MAX_CASE_BYTES + 1))
        except CaseError as error:
            raise ValidationError(error.messages) from None
        return upload


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def case_import(request: OrganisationRequest) -> HttpResponse:
    form = CaseImportForm(request.POST, request.FILES) if request.method == "POST" else None
    if form is not None and form.is_valid():
        try:
            version = case_to_draft(
                organisation=request.organisation,
                actor=Actor.from_request(request),
                data=form.package,
                name=form.cleaned_data["name"] or None,
            )
        except CaseError as error:
            form.add_error("file", error.messages)
            mark_invalid(form)
        else:
            messages.success(
                request,
                _("%(name)s has been imported as a draft.") % {"name": version.framework.name},
            )
            return redirect("frameworks:list")
    context = {"form": form or CaseImportForm(), "submit_label": _("Import")}
    return render(request, "frameworks/case_import.html", context)


@role_required(Role.HR)
@require_GET
def case_export(request: OrganisationRequest, version_id: int) -> HttpResponse:
    """The version as a CASE JSON download; another organisation's version is a 404."""
    version = get_object_or_404(
        FrameworkVersion.objects.select_related("framework__organisation"),
        pk=version_id,
        framework__organisation=request.organisation,
    )
    package = version_case_export(
        organisation=request.organisation, actor=Actor.from_request(request), version=version
    )
    filename = f"{slugify(version.framework.name) or 'framework'}-v{version.number}.case.json"
    return HttpResponse(
        json.dumps(package, ensure_ascii=False, indent=2),
        content_type="application/json",
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )
