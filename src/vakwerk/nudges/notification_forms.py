from django import forms

from vakwerk.lib.forms import StyledModelForm
from vakwerk.nudges.models import NotificationPreference


class PreferenceForm(StyledModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["language", "weekly_digest", "reminders"]
        widgets = {"language": forms.RadioSelect}
