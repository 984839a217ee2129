from django import forms
from django.utils.translation import gettext_lazy as _

from vakwerk.lib.forms import StyledForm


class EndEmploymentForm(StyledForm):
    end_date = forms.DateField(
        label=_("Last working day"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The person keeps their history; they no longer appear in lists."),
    )
