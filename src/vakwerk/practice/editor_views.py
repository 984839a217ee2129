"""HR's scenario pages: the families, and the editor of one variant (check, preview, save)."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from vakwerk.audit.services import Actor
from vakwerk.frameworks.selectors import current_competency_labels
from vakwerk.organisations.models import Role
from vakwerk.organisations.permissions import OrganisationRequest, role_required
from vakwerk.practice import editor
from vakwerk.practice.models import ScenarioFamily, ScenarioVariant


def _family(request: OrganisationRequest, family_id: int) -> ScenarioFamily:
    return get_object_or_404(ScenarioFamily, pk=family_id, organisation=request.organisation)


@role_required(Role.HR)
@require_GET
def families(request: OrganisationRequest) -> HttpResponse:
    found = (
        ScenarioFamily.objects.filter(organisation=request.organisation)
        .prefetch_related("variants")
        .order_by("title")
    )
    labels = current_competency_labels(request.organisation)
    rows = [
        {
            "family": family,
            "competencies": [labels.get(code, code) for code in family.competency_codes],
            "variants": [v for v in family.variants.all() if v.is_active],
        }
        for family in found
    ]
    return render(request, "practice/editor/families.html", {"rows": rows})


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def edit(
    request: OrganisationRequest, family_id: int, variant_id: int | None = None
) -> HttpResponse:
    family = _family(request, family_id)
    variant = (
        get_object_or_404(ScenarioVariant, pk=variant_id, family=family) if variant_id else None
    )
    template_variant = variant or family.variants.filter(is_active=True).first()
    text = editor.variant_yaml(template_variant) if template_variant else ""
    context: dict[str, Any] = {"family": family, "variant": variant}
    if request.method == "POST":
        text = request.POST.get("text", "")
        if request.POST.get("action") == "save":
            try:
                saved = editor.variant_save(
                    family=family, variant=variant, text=text, actor=Actor.from_request(request)
                )
            except ValidationError as error:
                context["problems"] = error.messages
            else:
                messages.success(request, _("The scenario has been saved."))
                return redirect("scenarios:edit", family_id=family.pk, variant_id=saved.pk)
        else:
            checked = editor.check(request.organisation, family, text)
            context["problems"] = checked.problems
            if checked.ok and checked.data is not None:
                context["preview"] = editor.preview(checked.data)
                context["checked"] = True
    context["text"] = text
    status = 400 if context.get("problems") else 200
    return render(request, "practice/editor/edit.html", context, status=status)
