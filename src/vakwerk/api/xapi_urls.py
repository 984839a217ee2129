from django.urls import path

from vakwerk.api import xapi_views

app_name = "xapi"
urlpatterns = [
    path("", xapi_views.lrs_settings, name="settings"),
    path("testen/", xapi_views.lrs_test, name="test"),
    path("opnieuw/", xapi_views.lrs_retry_failed, name="retry"),
]
