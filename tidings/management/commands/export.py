from django.core.management.base import BaseCommand

from pipeline import export


class Command(BaseCommand):
    help = "Export every article as JSON Lines (url, title, body_text, published, story_id, related, duplicate_of)."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["jsonl"], default="jsonl")
        parser.add_argument("--output", "-o", default="-", help="file to write (default: standard output)")

    def handle(self, format, output, **options):
        if output == "-":
            count = export.export_jsonl(self.stdout)
        else:
            with open(output, "w", encoding="utf-8") as fh:
                count = export.export_jsonl(fh)
        self.stderr.write(f"Exported {count} articles.")
