from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "dhr_tracker.reports"
    label = "reports"
    verbose_name = "Reports, quality assurance and publication"

    def ready(self) -> None:
        # The reviews app imports nothing of this one: the later facts of its lifecycle, and the
        # pages that take its steps with records of their own, are registered from here.
        from dhr_tracker.accounts.demo import demo_seeded
        from dhr_tracker.reports.demo import on_demo_seeded
        from dhr_tracker.reports.facts import facts_of
        from dhr_tracker.reports.services.actions import DEADLINES
        from dhr_tracker.reviews import schedule
        from dhr_tracker.reviews.services import steps

        steps.register_facts(facts_of)
        steps.register_step_page("submit_to_home_office", "reports:qa_submit")
        steps.register_step_page("resubmit", "reports:qa_submit")
        steps.register_step_page("record_qa_outcome", "reports:qa_outcome")
        steps.register_step_page("publish", "reports:publish")
        schedule.register_source(DEADLINES)
        # After the reviews and chronologies apps' receivers, which create the reviews these reports belong to.
        demo_seeded.connect(on_demo_seeded, dispatch_uid="reports.demo")
