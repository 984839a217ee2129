from django.urls import path

from vakwerk.shell import views

app_name = "shell"
urlpatterns = [
    path("", views.home, name="home"),
    path("toegankelijkheid", views.accessibility, name="accessibility"),
    path("privacy", views.privacy, name="privacy"),
]
