from django.core.management.base import BaseCommand, CommandError

from sources import actions


class Command(BaseCommand):
    help = "Add a feed by its URL, or by a site's home page (the feed is found in its <link> tags)."

    def add_arguments(self, parser):
        parser.add_argument("url")
        parser.add_argument("--publisher", default="", help="publisher name (default: the feed's title)")

    def handle(self, url, publisher, **options):
        try:
            feed = actions.add_feed(url, publisher_name=publisher)
        except actions.AddFeedError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Added {feed.url} ({feed.publisher.name}).")
