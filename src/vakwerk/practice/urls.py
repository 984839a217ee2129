from django.urls import path

from vakwerk.practice import views

app_name = "practice"
urlpatterns = [
    path("", views.today, name="today"),
    path("start/<int:card_id>/", views.start, name="start"),
    path("scenario/<int:attempt_id>/", views.scenario, name="scenario"),
    path("scenario/<int:attempt_id>/kies/", views.choose, name="choose"),
]
