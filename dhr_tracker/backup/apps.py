from django.apps import AppConfig


class BackupConfig(AppConfig):
    name = "dhr_tracker.backup"
    label = "backup"
    verbose_name = "Backup and restore"
