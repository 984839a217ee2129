from django.urls import path

from vakwerk.practice import editor_views

app_name = "scenarios"
urlpatterns = [
    path("", editor_views.families, name="families"),
    path("<int:family_id>/nieuw/", editor_views.edit, name="new"),
    path("<int:family_id>/variant/<int:variant_id>/", editor_views.edit, name="edit"),
]
