from django.urls import path

from vakwerk.nudges import job_views

app_name = "jobs"

urlpatterns = [
    path("", job_views.job_list, name="list"),
    path("<slug:name>/start", job_views.job_start, name="start"),
]
