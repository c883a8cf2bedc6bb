from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dhr_tracker.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from dhr_tracker import checks  # noqa: F401  (registers the system checks)
