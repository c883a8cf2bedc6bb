from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "dhr_tracker.funding"
    label = "funding"
    verbose_name = "Funding and costs"

    def ready(self) -> None:
        from dhr_tracker.accounts.demo import demo_seeded
        from dhr_tracker.funding.demo import on_demo_seeded

        # After the reports demo's receiver, which publishes the review whose costs are shown.
        demo_seeded.connect(on_demo_seeded, dispatch_uid="funding.demo")
