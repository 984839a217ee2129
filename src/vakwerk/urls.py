from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("", include("vakwerk.shell.urls")),
    path("account/", include("allauth.urls")),
    path("account/sso/", include("vakwerk.accounts.urls")),
    path("organisatie/api-tokens/", include("vakwerk.api.token_urls")),
    path("organisatie/lrs/", include("vakwerk.api.xapi_urls")),
    path("organisatie/", include("vakwerk.organisations.urls")),
    path("mensen/", include("vakwerk.people.urls")),
    path("audit/", include("vakwerk.audit.urls")),
    path("kaders/", include("vakwerk.frameworks.urls")),
    path("rondes/", include("vakwerk.assessments.round_urls")),
    path("vragenlijsten/", include("vakwerk.assessments.questionnaire_urls")),
    path("situaties/", include("vakwerk.assessments.sjt_urls")),
    path("inzicht/", include("vakwerk.insights.urls")),
    path("ontwikkeling/", include("vakwerk.development.urls")),
    path("oefenen/", include("vakwerk.practice.urls")),
    path("oefenen/", include("vakwerk.practice.bank_urls")),
    path("oefenscenarios/", include("vakwerk.practice.editor_urls")),
    path("campagnes/", include("vakwerk.nudges.campaign_urls")),
    path("leeraanbod/", include("vakwerk.development.catalogue_urls")),
    path("bewijs/", include("vakwerk.assessments.evidence_urls")),
    path("pols/", include("vakwerk.measurement.pulse_urls")),
    path("kaders/case/", include("vakwerk.frameworks.case_urls")),
    path("taken/", include("vakwerk.nudges.job_urls")),
    path("meldingen/", include("vakwerk.nudges.notification_urls")),
    path("mijn-gegevens/", include("vakwerk.audit.privacy_urls")),
    path("scim/v2/", include("vakwerk.people.scim_urls")),
    path("badges/", include("vakwerk.badges.urls")),
    path("api/", include("vakwerk.api.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("django-admin/", admin.site.urls),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
