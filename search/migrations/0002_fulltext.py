"""Full-text index over articles: an FTS5 table kept by triggers on SQLite, a GIN expression index on PostgreSQL."""

from django.db import migrations


def forwards(apps, schema_editor):
    from search import fulltext

    fulltext.create(schema_editor.connection)


def backwards(apps, schema_editor):
    from search import fulltext

    fulltext.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0003_article_story"),
        ("search", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
