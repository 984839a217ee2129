from django.urls import path

from vakwerk.people import import_views, views

app_name = "people"
urlpatterns = [
    path("mijn-gegevens/", views.profile, name="profile"),
    path("mijn-team/", views.my_team, name="my_team"),
    path("medewerkers/", views.employees, name="employees"),
    path("medewerkers/<int:employee_id>/", views.person, name="person"),
    path("medewerkers/import/", import_views.import_upload, name="import_upload"),
    path("medewerkers/import/<int:job_id>/", import_views.import_preview, name="import_preview"),
    path(
        "medewerkers/import/<int:job_id>/toepassen/",
        import_views.import_apply,
        name="import_apply",
    ),
    path("medewerkers/import/<int:job_id>/resultaat/", import_views.import_job, name="import_job"),
]
