from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vakwerk.accounts.models import OidcLogin
from vakwerk.lib.forms import StyledModelForm


class OidcLoginForm(StyledModelForm):
    client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        max_length=255,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Leave empty to keep the stored secret. It is never shown again."),
    )

    class Meta:
        model = OidcLogin
        fields = ["button_label", "issuer", "client_id", "client_secret", "uid_claim", "is_enabled"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.fields["client_secret"].required = True
            self.fields["client_secret"].help_text = ""

    def clean_issuer(self) -> str:
        issuer: str = self.cleaned_data["issuer"]
        return issuer.rstrip("/")

    def _post_clean(self) -> None:
        # The service validates the model (it needs the SocialApp); skip the ModelForm's
        # instance validation, which would complain about the missing SocialApp.
        pass
