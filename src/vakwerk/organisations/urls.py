from django.urls import path

from vakwerk.organisations import views

app_name = "organisations"
urlpatterns = [
    path("wissel/", views.switch, name="switch"),
    path("thema.css", views.theme_stylesheet, name="theme_css"),
    path("instellingen/", views.organisation_settings, name="settings"),
    path("huisstijl/", views.theme, name="theme"),
    path("beheer/", views.operator_list, name="operator_list"),
    path("beheer/nieuw/", views.operator_create, name="operator_create"),
    path("beheer/<slug:slug>/", views.operator_edit, name="operator_edit"),
]
