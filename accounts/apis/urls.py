"""accounts API (mounted under /api/v1/ by chorus.api_urls)."""

from django.urls import path

from accounts.apis import me, people, people_import, preferences

urlpatterns: list = [
    # The signed-in person, about themselves.
    path("me/", me.MeView.as_view(), name="api_me"),
    path("me/preferences/", preferences.PreferencesView.as_view(), name="api_my_preferences"),
    # People and teams (staff, with the admin's permissions on people).
    path("people/", people.PersonViewSet.as_view({"get": "list", "post": "create"}), name="api_people"),
    path("people/import/", people_import.PeopleImportView.as_view(), name="api_people_import"),
    path("people/<int:pk>/", people.PersonViewSet.as_view({"get": "retrieve"}), name="api_person"),
    path("people/<int:pk>/deactivate/", people.PersonViewSet.as_view({"post": "deactivate"}),
         name="api_person_deactivate"),
    path("people/<int:pk>/reactivate/", people.PersonViewSet.as_view({"post": "reactivate"}),
         name="api_person_reactivate"),
    path("teams/", people.TeamViewSet.as_view({"get": "list"}), name="api_teams"),
]
