from django.urls import path

from vakwerk.frameworks import views

app_name = "frameworks"
urlpatterns = [
    path("", views.framework_list, name="list"),
    path("pakket/", views.adopt_pack, name="adopt_pack"),
    path("versie/<int:version_id>/", views.version_detail, name="version"),
    path("versie/<int:version_id>/pakket/", views.add_pack, name="add_pack"),
    path("versie/<int:version_id>/publiceren/", views.publish, name="publish"),
    path("versie/<int:version_id>/nieuw-concept/", views.new_draft, name="new_draft"),
    path("versie/<int:version_id>/niveaus/", views.levels_edit, name="levels"),
    path("versie/<int:version_id>/vergelijken/", views.version_compare, name="compare"),
    path(
        "versie/<int:version_id>/competentie/nieuw/",
        views.competency_create,
        name="competency_create",
    ),
    path(
        "versie/<int:version_id>/competentie/<int:competency_id>/",
        views.competency_edit,
        name="competency_edit",
    ),
    path("functieprofielen/", views.role_profile_list, name="role_profiles"),
    path("functieprofielen/nieuw/", views.role_profile_create, name="role_profile_create"),
    path("functieprofielen/<int:profile_id>/", views.role_profile_edit, name="role_profile"),
    path(
        "functieprofielen/<int:profile_id>/kopie/",
        views.role_profile_copy,
        name="role_profile_copy",
    ),
]
