"""The Django admin for site administrators: partnerships and agencies, read-only people.

People, roles and memberships change only through the audited pages under /manage/.
"""

from typing import Any, cast

from django.contrib import admin
from django.http import HttpRequest

from dhr_tracker.accounts import services
from dhr_tracker.accounts.models import Agency, AgencyMembership, Partnership, PartnershipRole, User


class OrganisationAdmin(admin.ModelAdmin):
    """Partnerships and agencies, saved through the audited service."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # Only verified site administrators reach the admin; the service checks that again.
        actor = cast(User, request.user)
        services.save_organisation(obj, actor=actor, changed=list(form.changed_data), request=request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Partnership)
class PartnershipAdmin(OrganisationAdmin):
    list_display = ("name", "local_authority", "nation", "review_type_label")
    search_fields = ("name", "local_authority")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Agency)
class AgencyAdmin(OrganisationAdmin):
    list_display = ("name", "kind", "is_responsible_authority")
    list_filter = ("kind", "is_responsible_authority")
    search_fields = ("name",)
    filter_horizontal = ("partnerships",)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ("email", "full_name", "is_active", "is_site_admin")
    search_fields = ("email", "full_name")
    exclude = ("password",)


@admin.register(PartnershipRole)
class PartnershipRoleAdmin(ReadOnlyAdmin):
    list_display = ("user", "partnership", "role", "granted_at", "revoked_at")
    list_filter = ("role", "partnership")


@admin.register(AgencyMembership)
class AgencyMembershipAdmin(ReadOnlyAdmin):
    list_display = ("user", "agency", "job_title", "started_at", "ended_at")
    list_filter = ("agency",)
