from django.urls import path

from vakwerk.assessments import evidence_views

app_name = "evidence"
urlpatterns = [path("<int:round_id>.csv", evidence_views.round_evidence, name="round")]
