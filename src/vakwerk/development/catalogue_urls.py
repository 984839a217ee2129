from django.urls import path

from vakwerk.development import catalogue_views

app_name = "catalogue"
urlpatterns = [
    path("", catalogue_views.activity_list, name="list"),
    path("nieuw/", catalogue_views.activity_create, name="create"),
    path("<int:activity_id>/", catalogue_views.activity_edit, name="edit"),
    path("<int:activity_id>/terugtrekken/", catalogue_views.activity_retire, name="retire"),
    path("<int:activity_id>/weer-aanbieden/", catalogue_views.activity_offer, name="offer"),
]
