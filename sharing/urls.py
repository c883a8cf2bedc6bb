from django.urls import path

from sharing.views import documents
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
    path("spaces/<int:space_id>/upload/", documents.document_upload, name="document_upload"),
    path("spaces/<int:space_id>/documents/<int:document_id>/hold/", documents.legal_hold, name="legal_hold"),
    path("documents/<int:document_id>/", documents.document_detail, name="document"),
    path("documents/<int:document_id>/versions/new/", documents.version_upload, name="version_upload"),
    path(
        "documents/<int:document_id>/versions/<uuid:version_id>/download/",
        documents.version_download,
        name="version_download",
    ),
    path("documents/<int:document_id>/grants/add/", documents.grant_add, name="grant_add"),
    path("documents/<int:document_id>/grants/<int:grant_id>/revoke/", documents.grant_revoke, name="grant_revoke"),
]
