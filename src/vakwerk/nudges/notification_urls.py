from django.urls import path

from vakwerk.nudges import notification_views as views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:notification_id>/", views.notification_open, name="open"),
    path("<int:notification_id>/gelezen/", views.notification_read, name="read"),
    path("alles-gelezen/", views.notification_read_all, name="read_all"),
    path("voorkeuren/", views.preferences, name="preferences"),
    path("afmelden/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
