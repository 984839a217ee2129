from django.urls import path

from vakwerk.people import views

app_name = "people"
urlpatterns = [
    path("mijn-gegevens/", views.profile, name="profile"),
    path("mijn-team/", views.my_team, name="my_team"),
    path("medewerkers/", views.employees, name="employees"),
]
