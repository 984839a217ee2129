"""SCIM 2.0 (RFC 7644) endpoints, mounted at /scim/v2/. Paths are SCIM's own, not Dutch."""

from django.urls import path

from vakwerk.people import scim_views

app_name = "scim"
urlpatterns = [
    path(
        "ServiceProviderConfig",
        scim_views.service_provider_config,
        name="service_provider_config",
    ),
    path("ResourceTypes", scim_views.resource_types, name="resource_types"),
    path("ResourceTypes/<str:name>", scim_views.resource_type, name="resource_type"),
    path("Schemas", scim_views.schemas, name="schemas"),
    path("Schemas/<str:schema_id>", scim_views.schema, name="schema"),
    path("Users", scim_views.users, name="users"),
    path("Users/<str:resource_id>", scim_views.user, name="user"),
    path("Groups", scim_views.groups, name="groups"),
    path("Groups/<str:resource_id>", scim_views.group, name="group"),
]
