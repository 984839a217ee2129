from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from vakwerk.accounts.forms import OidcLoginForm
from vakwerk.accounts.models import OidcLogin
from vakwerk.accounts.services import oidc_login_save
from vakwerk.audit.services import Actor
from vakwerk.organisations.models import Role
from vakwerk.organisations.permissions import OrganisationRequest, role_required


@role_required(Role.HR, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def oidc_settings(request: OrganisationRequest) -> HttpResponse:
    existing = OidcLogin.objects.filter(organisation=request.organisation).first()
    form = OidcLoginForm(request.POST or None, instance=existing)
    if request.method == "POST" and form.is_valid():
        oidc_login_save(
            organisation=request.organisation,
            actor=Actor.from_request(request),
            **{name: form.cleaned_data[name] for name in OidcLoginForm.Meta.fields},
        )
        messages.success(request, _("The login settings have been saved."))
        return redirect("accounts:oidc_settings")
    provider_id = f"org-{request.organisation.slug}"
    callback = request.build_absolute_uri(
        reverse("openid_connect_callback", kwargs={"provider_id": provider_id})
    )
    return render(
        request,
        "accounts/oidc_settings.html",
        {"form": form, "callback_url": callback, "existing": existing},
    )
