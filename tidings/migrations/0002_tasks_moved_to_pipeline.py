"""Tasks queued before the upgrade name their old module (ingest.tasks); point them at pipeline.tasks."""

from django.db import migrations
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

OLD, NEW = "ingest.tasks.", "pipeline.tasks."


def rename(apps, schema_editor, old=OLD, new=NEW):
    results = apps.get_model("django_tasks_database", "DBTaskResult")
    results.objects.filter(task_path__startswith=old).update(
        task_path=Concat(Value(new), Substr(F("task_path"), len(old) + 1))
    )


def rename_back(apps, schema_editor):
    rename(apps, schema_editor, old=NEW, new=OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("tidings", "0001_initial"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(rename, rename_back)]
