from django.urls import path

from vakwerk.accounts import views

app_name = "accounts"
urlpatterns = [path("instellingen/", views.oidc_settings, name="oidc_settings")]
