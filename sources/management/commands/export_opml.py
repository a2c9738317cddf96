from django.core.management.base import BaseCommand

from sources import actions


class Command(BaseCommand):
    help = "Write every subscribed feed as OPML to standard output."

    def handle(self, **options):
        self.stdout.write(actions.export_opml().decode("utf-8"), ending="")
