import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from vakwerk.audit.models import AuditEvent
from vakwerk.organisations.models import Organisation, Role
from vakwerk.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_hr_changes_policies_and_the_change_is_audited(member_client, organisation):
    client, user = member_client(organisation, Role.HR)
    data = {
        "anonymity_threshold": 5,
        "manager_visibility": "no",
        "hr_visibility": "consent",
        "practice_retention": 0.9,
        "practice_max_interval_days": 60,
        "retention_results_months": 36,
        "retention_comments_months": 12,
        "retention_practice_months": 24,
        "retention_after_leaving_months": 24,
        "retention_audit_months": 84,
        "practice_as_evidence": "on",
        "pulse_interval_weeks": 0,
        "results_outdated_months": 18,
    }
    response = client.post(reverse("organisations:settings"), data)
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.anonymity_threshold == 5
    assert organisation.practice_as_evidence
    assert not organisation.pulse_self_check
    assert (organisation.pulse_interval_weeks, organisation.results_outdated_months) == (0, 18)
    assert organisation.manager_visibility == "no"
    assert organisation.hr_visibility == "consent"
    assert (organisation.practice_retention, organisation.practice_max_interval_days) == (0.9, 60)
    event = AuditEvent.objects.get(action="organisation.policies")
    assert event.organisation == organisation
    assert event.actor == user
    assert event.details["anonymity_threshold"] == 5


def test_anonymity_threshold_below_three_is_refused_next_to_the_field(member_client, organisation):
    client, _ = member_client(organisation, Role.HR)
    response = client.post(
        reverse("organisations:settings"),
        {"anonymity_threshold": 2, "manager_visibility": "yes"},
        headers={"accept-language": "nl"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "anonymity_threshold" in form.errors
    assert 'aria-invalid="true"' in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.anonymity_threshold == 3
    assert not AuditEvent.objects.filter(action="organisation.policies").exists()


@pytest.mark.parametrize(
    ("field", "value"), [("practice_retention", 1.5), ("practice_max_interval_days", 3)]
)
def test_practice_settings_out_of_range_are_refused(member_client, organisation, field, value):
    client, _ = member_client(organisation, Role.HR)
    response = client.post(reverse("organisations:settings"), {field: value})
    assert field in response.context["form"].errors
    organisation.refresh_from_db()
    assert (organisation.practice_retention, organisation.practice_max_interval_days) == (0.85, 120)


def test_employee_cannot_open_settings(member_client, organisation):
    client, _ = member_client(organisation, Role.EMPLOYEE)
    assert client.get(reverse("organisations:settings")).status_code == 403


def test_theme_with_poor_contrast_is_not_saved(member_client, organisation):
    client, _ = member_client(organisation, Role.HR)
    response = client.post(
        reverse("organisations:theme"),
        {
            "primary": "#ffff00",
            "primary_text": "#ffffff",
            "link": "#1d4f6e",
            "header_bg": "#1d4f6e",
            "header_text": "#ffffff",
        },
    )
    assert response.status_code == 200
    assert "primary_text" in response.context["form"].errors
    organisation.refresh_from_db()
    assert organisation.theme == {}


def test_theme_is_served_as_css_for_the_active_organisation(member_client, organisation):
    organisation.theme = {"primary": "#004b87"}
    organisation.save()
    client, _ = member_client(organisation, Role.EMPLOYEE)
    response = client.get(reverse("organisations:theme_css"))
    assert response["Content-Type"] == "text/css"
    assert "--vakwerk-primary: #004b87;" in response.content.decode()


def test_logo_that_is_not_an_image_is_refused(member_client, organisation):
    client, _ = member_client(organisation, Role.HR)
    fake = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = client.post(
        reverse("organisations:theme"),
        {
            "primary": "#1d4f6e",
            "primary_text": "#ffffff",
            "link": "#1d4f6e",
            "header_bg": "#1d4f6e",
            "header_text": "#ffffff",
            "logo": fake,
        },
    )
    assert response.status_code == 200
    assert "logo" in response.context["form"].errors
    organisation.refresh_from_db()
    assert not organisation.logo


def test_user_switches_to_another_of_their_organisations(member_client, organisation):
    client, user = member_client(organisation, Role.EMPLOYEE)
    second = MembershipFactory(user=user, roles=[Role.EMPLOYEE]).organisation
    response = client.post(reverse("organisations:switch"), {"organisation": second.slug})
    assert response.status_code == 302
    home = client.get(reverse("shell:home"))
    assert home.context["organisation"] == second


def test_switching_to_an_organisation_one_does_not_belong_to_is_404(
    member_client, organisation, other_organisation
):
    client, _ = member_client(organisation, Role.EMPLOYEE)
    response = client.post(
        reverse("organisations:switch"), {"organisation": other_organisation.slug}
    )
    assert response.status_code == 404
    assert client.get(reverse("shell:home")).context["organisation"] == organisation


def test_operator_creates_an_organisation(client):
    from vakwerk.accounts.services import totp_enrol

    operator = UserFactory(operator=True)
    totp_enrol(user=operator, secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client.force_login(operator)
    response = client.post(
        reverse("organisations:operator_create"), {"name": "Gemeente Nieuw", "slug": "nieuw"}
    )
    assert response.status_code == 302
    created = Organisation.objects.get(slug="nieuw")
    assert AuditEvent.objects.filter(action="organisation.create", organisation=created).exists()


def test_duplicate_slug_is_refused(client):
    from vakwerk.accounts.services import totp_enrol
    from vakwerk.tests.factories import OrganisationFactory

    OrganisationFactory(slug="bezet")
    operator = UserFactory(operator=True)
    totp_enrol(user=operator, secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client.force_login(operator)
    response = client.post(
        reverse("organisations:operator_create"), {"name": "Gemeente Bezet", "slug": "bezet"}
    )
    assert response.status_code == 200
    assert "slug" in response.context["form"].errors
    assert Organisation.objects.filter(slug="bezet").count() == 1


def test_non_operator_does_not_see_the_operator_area(member_client, organisation):
    client, _ = member_client(organisation, Role.HR, Role.ADMIN)
    assert client.get(reverse("organisations:operator_list")).status_code == 404
