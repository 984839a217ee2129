from django.urls import path

from vakwerk.assessments import sjt_views

app_name = "sjt"
urlpatterns = [
    path("<int:subject_id>/", sjt_views.take, name="take"),
    path("<int:subject_id>/afronden/", sjt_views.finish, name="finish"),
]
