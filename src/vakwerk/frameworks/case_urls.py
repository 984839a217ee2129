from django.urls import path

from vakwerk.frameworks import case_views

app_name = "framework_case"
urlpatterns = [
    path("importeren/", case_views.case_import, name="import"),
    path("<int:version_id>/export/", case_views.case_export, name="export"),
]
