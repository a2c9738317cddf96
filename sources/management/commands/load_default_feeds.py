from django.core.management.base import BaseCommand

from sources import actions
from sources.models import Feed


class Command(BaseCommand):
    help = "Subscribe to Tidings' default catalogue of public news feeds (only when no feed exists yet)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="import even if feeds already exist")

    def handle(self, force, **options):
        if Feed.objects.exists() and not force:
            self.stdout.write("Feeds already exist; the default catalogue was not loaded.")
            return
        result = actions.load_default_catalogue()
        self.stdout.write(f"Loaded the default catalogue: {result.feeds_created} feeds.")
