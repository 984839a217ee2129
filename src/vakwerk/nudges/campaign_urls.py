from django.urls import path

from vakwerk.nudges import campaign_views

app_name = "campaigns"
urlpatterns = [
    path("", campaign_views.campaign_list, name="list"),
    path("nieuw/", campaign_views.campaign_create, name="create"),
    path("<int:campaign_id>/", campaign_views.campaign_detail, name="detail"),
    path("<int:campaign_id>/wijzigen/", campaign_views.campaign_edit, name="edit"),
    path("<int:campaign_id>/beeindigen/", campaign_views.campaign_end, name="end"),
    path("<int:campaign_id>/verwijderen/", campaign_views.campaign_delete, name="delete"),
]
