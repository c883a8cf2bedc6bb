from django.urls import path

from dhr_tracker.accounts import admin_views, views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/code/", views.verify, name="verify"),
    path("sign-in/backup-code-used/", views.backup_code_used, name="backup_code_used"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("two-factor/set-up/", views.enrol, name="enrol"),
    path("confirm-it-is-you/", views.sudo, name="sudo"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/<uidb64>/<token>/", views.password_reset_confirm, name="password_reset_confirm"),
    path("account/", views.account, name="account"),
    path("account/password/", views.change_password, name="change_password"),
    path("account/backup-codes/", views.new_backup_codes, name="new_backup_codes"),
    path("account/sign-out-everywhere/", views.sign_out_everywhere, name="sign_out_everywhere"),
    path("manage/users/", admin_views.user_list, name="manage_users"),
    path("manage/users/new/", admin_views.user_new, name="manage_user_new"),
    path("manage/users/<int:user_id>/", admin_views.user_detail, name="manage_user"),
    path("manage/users/<int:user_id>/roles/", admin_views.grant_role, name="manage_grant_role"),
    path("manage/roles/<int:role_id>/revoke/", admin_views.revoke_role, name="manage_revoke_role"),
    path(
        "manage/users/<int:user_id>/national-oversight/",
        admin_views.set_national_oversight,
        name="manage_national_oversight",
    ),
    path("manage/users/<int:user_id>/memberships/", admin_views.add_membership, name="manage_add_membership"),
    path("manage/memberships/<int:membership_id>/end/", admin_views.end_membership, name="manage_end_membership"),
    path("manage/users/<int:user_id>/unlock/", admin_views.unlock, name="manage_unlock"),
    path(
        "manage/users/<int:user_id>/second-factor/reset/",
        admin_views.reset_second_factor,
        name="manage_reset_second_factor",
    ),
    path("manage/users/<int:user_id>/active/", admin_views.set_active, name="manage_set_active"),
]
