"""The form of HR's LRS page."""

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.utils.translation import gettext_lazy as _

from vakwerk.api.models import LrsConnection
from vakwerk.api.xapi import endpoint_problem
from vakwerk.lib.forms import StyledModelForm


class LrsConnectionForm(StyledModelForm):
    secret = forms.CharField(
        label=_("Secret (password)"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Leave empty to keep the stored secret. It is never shown again."),
    )

    class Meta:
        model = LrsConnection
        fields = ["endpoint", "key", "secret", "is_enabled"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.fields["secret"].required = True
            self.fields["secret"].help_text = ""

    def clean_endpoint(self) -> str:
        # Credentials in the address would be stored, shown and audited as plain text.
        endpoint = str(self.cleaned_data["endpoint"])
        if urlsplit(endpoint).username is not None:
            raise forms.ValidationError(
                _("Leave the key and secret out of the address: fill them in below.")
            )
        problem = endpoint_problem(endpoint)
        if problem:
            raise forms.ValidationError(problem)
        return endpoint

    def _post_clean(self) -> None:
        # The service validates the model (keeping the stored secret when none is given).
        pass
