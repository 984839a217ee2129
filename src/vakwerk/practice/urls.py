from django.urls import path

from vakwerk.practice import pwa_views, views

app_name = "practice"
urlpatterns = [
    path("", views.today, name="today"),
    path("start/<int:card_id>/", views.start, name="start"),
    path("scenario/<int:attempt_id>/", views.scenario, name="scenario"),
    path("scenario/<int:attempt_id>/kies/", views.choose, name="choose"),
    path("manifest.webmanifest", pwa_views.manifest, name="manifest"),
    path("sw.js", pwa_views.service_worker, name="service_worker"),
    path("offline/", pwa_views.offline, name="offline"),
]
