"""Rows stored before only http(s) URLs were accepted (issue 10) may hold a script or data URL. Pages and
feeds out check every URL again, but the JSON API returns stored URLs as they are, so such rows are mended:
an article whose own link is not a web address is deleted (it would be refused today), a bad canonical URL
falls back to the link, a bad image is dropped; publishers' site links and feeds are mended the same way.

The check is a frozen copy of what ingest.canonical.http_url_or_none decides about the scheme (a migration
must not follow app code): leading and trailing C0 controls and spaces stripped, tabs and newlines removed,
scheme compared without case.
"""

import re

from django.db import migrations

_CONTROLS = "".join(chr(c) for c in range(0x21))
_TAB_OR_NEWLINE = re.compile("[\t\n\r]")


def _is_web(url: str) -> bool:
    url = _TAB_OR_NEWLINE.sub("", (url or "").strip(_CONTROLS)).lower()
    return url.startswith(("http://", "https://")) and len(url) > len("https://")


def mend(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    Publisher = apps.get_model("sources", "Publisher")
    Feed = apps.get_model("sources", "Feed")
    bad_links = [pk for pk, url in Article.objects.values_list("pk", "url").iterator() if not _is_web(url)]
    for start in range(0, len(bad_links), 500):
        Article.objects.filter(pk__in=bad_links[start : start + 500]).delete()
    for pk, url, canonical, image in Article.objects.values_list("pk", "url", "canonical_url", "image_url").iterator():
        fields = {}
        if not _is_web(canonical):
            fields["canonical_url"] = url
        if image and not _is_web(image):
            fields["image_url"] = ""
        if fields:
            Article.objects.filter(pk=pk).update(**fields)
    for pk, site in Publisher.objects.exclude(site_url="").values_list("pk", "site_url"):
        if not _is_web(site):
            Publisher.objects.filter(pk=pk).update(site_url="")
    for pk, url, redirected in Feed.objects.values_list("pk", "url", "redirected_to"):
        if not _is_web(url):
            Feed.objects.filter(pk=pk).update(
                is_active=False, health="stopped", last_error="This feed's address is not a web (http or https) address."
            )
        elif redirected and not _is_web(redirected):
            Feed.objects.filter(pk=pk).update(redirected_to="", redirect_count=0)


class Migration(migrations.Migration):
    dependencies = [("articles", "0003_article_story"), ("sources", "0002_catalogue_corrections")]

    operations = [migrations.RunPython(mend, migrations.RunPython.noop)]
