from django.utils.translation import gettext_lazy as _

from vakwerk.lib.forms import StyledModelForm
from vakwerk.people.models import Employee


class ConsentForm(StyledModelForm):
    class Meta:
        model = Employee
        fields = ["shares_results_with_manager", "shares_results_with_hr"]
        help_texts = {
            "shares_results_with_manager": _(
                "Your manager then sees this report, including comments of groups large "
                "enough to stay anonymous. You can change this at any time."
            ),
            "shares_results_with_hr": _(
                "HR advisers then see this report. Team and organisation figures never show "
                "you individually, whatever you choose here."
            ),
        }
