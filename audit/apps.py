from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from audit import bindings  # noqa: F401  (binds django-auditlog entries into the chain)
