from django.apps import AppConfig


class ChronologiesConfig(AppConfig):
    name = "dhr_tracker.chronologies"
    label = "chronologies"
    verbose_name = "Chronologies"

    def ready(self) -> None:
        # The reviews app imports nothing of this one: requests join its schedule from here.
        from dhr_tracker.accounts.demo import demo_seeded
        from dhr_tracker.chronologies.demo import on_demo_seeded
        from dhr_tracker.chronologies.services.requests import DEADLINES
        from dhr_tracker.reviews import schedule

        schedule.register_source(DEADLINES)
        # After the reviews app's receiver, which creates the review these requests go to.
        demo_seeded.connect(on_demo_seeded, dispatch_uid="chronologies.demo")
