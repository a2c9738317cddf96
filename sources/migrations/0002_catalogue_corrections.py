"""Brings installs made from the earlier default catalogue in line with sources/catalogue-evidence.md.

Only rows that still hold exactly what the earlier catalogue wrote are changed: an operator's own choice stands.
"""

from django.db import migrations

LEGACY_KOREA_HERALD = "https://www.koreaherald.com/common/rss_xml.php?ct=102"
KOREA_HERALD = "https://www.koreaherald.com/rss/newsAll"
SCMP_NEWS = "https://www.scmp.com/rss/91/feed"
OLD_EXCERPT_LICENCE = "All rights reserved (excerpt only)"

# publisher name, (licence, display policy) as the earlier catalogue wrote them, → as the current one does
PUBLISHER_CORRECTIONS = [
    # ProPublica's terms forbid republishing "wholesale, or automatically": excerpt only.
    ("ProPublica", ("CC BY-NC-ND 3.0", "full_text"), ("CC BY-NC-ND 3.0, not for automatic republishing", "excerpt")),
    # Agência Brasil publishes under an attribution-only Creative Commons licence.
    ("Agência Brasil", (OLD_EXCERPT_LICENCE, "excerpt"), ("CC BY 4.0", "full_text")),
]


def correct_catalogue(apps, schema_editor):
    Publisher = apps.get_model("sources", "Publisher")
    Feed = apps.get_model("sources", "Feed")
    for name, (old_licence, old_policy), (licence, policy) in PUBLISHER_CORRECTIONS:
        Publisher.objects.filter(name=name, licence=old_licence, display_policy=old_policy).update(
            licence=licence, display_policy=policy
        )
    if not Feed.objects.filter(url=KOREA_HERALD).exists():
        Feed.objects.filter(url=LEGACY_KOREA_HERALD).update(url=KOREA_HERALD, etag="", last_modified="")
    Feed.objects.filter(url=SCMP_NEWS, title="South China Morning Post (World)").update(
        title="South China Morning Post (News)"
    )


class Migration(migrations.Migration):
    dependencies = [("sources", "0001_initial")]

    operations = [migrations.RunPython(correct_catalogue, migrations.RunPython.noop)]
