from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reader import fetching
from sources import actions, opml


class Command(BaseCommand):
    help = "Subscribe to every feed in an OPML file (a path or an http(s) URL)."

    def add_arguments(self, parser):
        parser.add_argument("source", help="OPML file path or URL")

    def handle(self, source, **options):
        try:
            result = actions.import_opml_bytes(_read(source))
        except opml.OpmlError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Imported {result.feeds_created} new feeds ({result.feeds_existing} already present), "
            f"{result.publishers_created} new publishers."
        )


def _read(source: str) -> bytes:
    if source.startswith(("http://", "https://")):
        options = fetching.FetchOptions(allow_private_hosts=settings.ALLOW_PRIVATE_HOSTS)
        try:
            result = fetching.fetch(source, options=options)
        except fetching.FetchError as exc:
            raise CommandError(f"Could not download {source}: {exc.message}") from exc
        if not result.ok:
            raise CommandError(f"Could not download {source}: HTTP {result.status}.")
        return result.body
    path = Path(source)
    if not path.is_file():
        raise CommandError(f"No such file: {source}")
    return path.read_bytes()
