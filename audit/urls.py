from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("", views.home, name="home"),
    path("events/", views.search, name="search"),
    path("events/<int:seq>/", views.event, name="event"),
    path("people/<int:actor_id>/", views.actor, name="actor"),
    path("targets/<str:target_type>/<str:target_id>/", views.target, name="target"),
    path("download/events.csv", views.download_csv, name="download_csv"),
    path("download/export.jsonl", views.download_jsonl, name="download_jsonl"),
]
