from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "sharing"
    label = "sharing"
    verbose_name = "Information sharing"

    def ready(self) -> None:
        # Connects the receiver that rebuilds the key provider and scanner when tests change settings.
        from sharing import config  # noqa: F401
