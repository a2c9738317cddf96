"""The fetch log moves from the old `ingest` app to sources (issue 11: the pipeline owns no models).

On an install that has the old table, it is renamed; on a new one, it is created. Rows are kept.
"""

import django.db.models.deletion
from django.db import migrations, models

OLD_TABLE = "ingest_fetchattempt"
OLD_INDEX = "ingest_fetc_feed_id_8f8bc0_idx"


NEW_INDEX = "fetchattempt_feed_recent"


def _index(name):
    return models.Index(fields=["feed", "-started_at"], name=name)


def adopt_or_create(apps, schema_editor):
    model = apps.get_model("sources", "FetchAttempt")
    if OLD_TABLE in schema_editor.connection.introspection.table_names():
        schema_editor.alter_db_table(model, OLD_TABLE, model._meta.db_table)
        schema_editor.rename_index(model, _index(OLD_INDEX), _index(NEW_INDEX))
    else:
        schema_editor.create_model(model)


def give_back(apps, schema_editor):
    model = apps.get_model("sources", "FetchAttempt")
    schema_editor.rename_index(model, _index(NEW_INDEX), _index(OLD_INDEX))
    schema_editor.alter_db_table(model, model._meta.db_table, OLD_TABLE)


class Migration(migrations.Migration):
    dependencies = [("sources", "0002_catalogue_corrections")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="FetchAttempt",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(choices=[("feed", "Feed"), ("page", "Article page")], default="feed", max_length=8)),
                        ("url", models.URLField(max_length=2000)),
                        ("outcome", models.CharField(choices=[("ok", "OK"), ("not_modified", "Not modified"), ("http_error", "HTTP error"), ("parse_warning", "Read with problems"), ("parse_error", "Not a readable feed"), ("blocked", "Refused"), ("timeout", "Timed out"), ("connection", "Could not connect"), ("too_large", "Too large"), ("extraction_failed", "No article text")], max_length=20)),
                        ("status_code", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("message", models.TextField(blank=True)),
                        ("entries_new", models.PositiveIntegerField(default=0)),
                        ("duration_ms", models.PositiveIntegerField(default=0)),
                        ("started_at", models.DateTimeField(db_index=True)),
                        ("feed", models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="attempts", to="sources.feed")),
                    ],
                    options={
                        "ordering": ["-started_at"],
                        "indexes": [_index(NEW_INDEX)],
                    },
                ),
            ],
        ),
        migrations.RunPython(adopt_or_create, give_back),
    ]
