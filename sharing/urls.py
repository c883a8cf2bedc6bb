from django.urls import path

from sharing.views import protocols as views

app_name = "sharing"

urlpatterns = [
    path("protocols/", views.protocol_register, name="protocols"),
    path("protocols/new/", views.protocol_new, name="protocol_new"),
    path("protocols/<int:protocol_id>/", views.protocol_detail, name="protocol"),
    path("protocols/<int:protocol_id>/edit/", views.protocol_edit, name="protocol_edit"),
    path("protocols/<int:protocol_id>/sign/<int:party_id>/", views.protocol_sign, name="protocol_sign"),
    path("protocols/<int:protocol_id>/suspend/", views.protocol_suspend, name="protocol_suspend"),
    path("protocols/<int:protocol_id>/reinstate/", views.protocol_reinstate, name="protocol_reinstate"),
    path("protocols/<int:protocol_id>/withdraw/", views.protocol_withdraw, name="protocol_withdraw"),
    path("protocols/<int:protocol_id>/new-version/", views.protocol_redraft, name="protocol_redraft"),
    path("protocols/<int:protocol_id>/spaces/new/", views.space_new, name="space_new"),
    path("spaces/", views.space_list, name="spaces"),
    path("spaces/<int:space_id>/", views.space_detail, name="space"),
    path("spaces/<int:space_id>/members/add/", views.member_add, name="member_add"),
    path("spaces/<int:space_id>/members/<int:member_id>/remove/", views.member_remove, name="member_remove"),
]
