from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "dhr_tracker.reviews"
    label = "reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        from dhr_tracker.accounts.demo import demo_seeded
        from dhr_tracker.reviews.demo import on_demo_seeded

        demo_seeded.connect(on_demo_seeded, dispatch_uid="reviews.demo")
