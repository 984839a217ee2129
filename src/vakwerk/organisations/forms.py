from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from vakwerk.lib.forms import StyledForm, StyledModelForm
from vakwerk.organisations.models import Organisation
from vakwerk.organisations.services import POLICY_FIELDS
from vakwerk.organisations.theme import THEME_TOKENS, validate_theme

MAX_LOGO_BYTES = 1024 * 1024


class OrganisationCreateForm(StyledModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "slug"]


class OrganisationEditForm(StyledModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "is_active"]


class PolicyForm(StyledModelForm):
    class Meta:
        model = Organisation
        fields = list(POLICY_FIELDS)


class ColourInput(forms.TextInput):
    input_type = "color"


class ThemeForm(StyledForm):
    logo = forms.ImageField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG or JPEG, at most 1 MB; shown in the page header."),
    )
    remove_logo = forms.BooleanField(label=_("Remove the current logo"), required=False)

    def __init__(self, *args: Any, theme: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for token in THEME_TOKENS:
            self.fields[token.key] = forms.CharField(
                label=token.label,
                required=False,
                initial=theme.get(token.key, token.default),
                max_length=7,
                widget=ColourInput(attrs={"class": "vakwerk-colour-input"}),
                help_text=_("Colour as #rrggbb, e.g. %(example)s.") % {"example": token.default},
            )
        self.order_fields([token.key for token in THEME_TOKENS])

    def clean_logo(self) -> UploadedFile | None:
        logo: UploadedFile | None = self.cleaned_data.get("logo")
        if logo is None:
            return None
        if logo.size and logo.size > MAX_LOGO_BYTES:
            raise ValidationError(_("The logo is larger than 1 MB."))
        image_format = getattr(getattr(logo, "image", None), "format", None)
        if image_format not in {"PNG", "JPEG"}:
            raise ValidationError(_("The logo must be a PNG or JPEG image."))
        return logo

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        theme = {token.key: cleaned.get(token.key) or "" for token in THEME_TOKENS}
        try:
            cleaned["theme"] = validate_theme(theme)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return cleaned
