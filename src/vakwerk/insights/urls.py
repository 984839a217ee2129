from django.urls import path

from vakwerk.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("rapport.pdf", views.mine_pdf, name="mine_pdf"),
    path("toestemming/", views.consent, name="consent"),
    path("wie-keek/", views.access_log, name="access_log"),
    path("medewerker/<int:employee_id>/", views.person, name="person"),
    path("medewerker/<int:employee_id>/rapport.pdf", views.person_pdf, name="person_pdf"),
    path("team/", views.team, name="team"),
    path("team/export.<str:fmt>", views.team_export, name="team_export"),
    path("organisatie/", views.organisation, name="organisation"),
    path("organisatie/export.<str:fmt>", views.organisation_export, name="organisation_export"),
]
