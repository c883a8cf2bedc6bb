from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dhr_tracker.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from dhr_tracker import checks  # noqa: F401  (registers the system checks)
        from dhr_tracker.accounts import models

        # Field-level history of the organisation and role records, bound into the audit chain.
        auditlog.register(models.Partnership)
        auditlog.register(models.Agency, m2m_fields={"partnerships"})
        auditlog.register(models.PartnershipRole)
        auditlog.register(models.AgencyMembership)
        auditlog.register(models.User, include_fields=["email", "full_name", "is_active", "is_site_admin"])
