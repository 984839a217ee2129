from django.urls import path

from vakwerk.assessments import round_views
from vakwerk.measurement import views as measurement_views

app_name = "rounds"
urlpatterns = [
    path("", round_views.round_list, name="list"),
    path("nieuw/", round_views.round_create, name="create"),
    path("<int:round_id>/", round_views.round_detail, name="detail"),
    path("<int:round_id>/openen/", round_views.round_open, name="open"),
    path("<int:round_id>/verlengen/", round_views.round_extend, name="extend"),
    path("<int:round_id>/sluiten/", round_views.round_close, name="close"),
    path("<int:round_id>/herinneren/", round_views.round_remind, name="remind"),
    path("<int:round_id>/mijn-team/", round_views.team, name="team"),
    # The round's estimated levels (measurement app): status section and recomputing.
    path("<int:round_id>/schattingen/", measurement_views.round_estimates, name="estimates"),
    path(
        "<int:round_id>/schattingen/berekenen/",
        measurement_views.round_estimates_compute,
        name="estimates_compute",
    ),
]
