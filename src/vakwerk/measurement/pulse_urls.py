from django.urls import path

from vakwerk.measurement import pulse_views

app_name = "pulses"
urlpatterns = [
    path("", pulse_views.mine, name="mine"),
    path("<int:pulse_id>/", pulse_views.take, name="take"),
    path("<int:pulse_id>/zelfcheck/", pulse_views.self_check, name="self_check"),
    path("<int:pulse_id>/inleveren/", pulse_views.finish, name="finish"),
    path("<int:pulse_id>/uitslag/", pulse_views.result, name="result"),
]
