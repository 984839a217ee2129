from django import forms
from django.utils.translation import gettext_lazy as _

from vakwerk.frameworks.models import COMPETENCY_CODE


class ClaimForm(forms.Form):
    competency = forms.CharField(label=_("Competency"), max_length=20, validators=[COMPETENCY_CODE])


class ShareForm(forms.Form):
    shared = forms.BooleanField(label=_("Share publicly"), required=False)
