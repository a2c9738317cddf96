import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SavedSearch",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("query", models.CharField(max_length=500)),
                (
                    "filters",
                    models.JSONField(blank=True, default=dict, help_text="publisher, tag, since, until as on the page."),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "notify",
                    models.BooleanField(default=False, help_text="Followed: new results are counted and announced."),
                ),
                (
                    "last_seen_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, help_text="When the reader last opened the results."
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="saved_searches",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
                "indexes": [models.Index(fields=["user", "-created_at"], name="search_save_user_id_4a1622_idx")],
            },
        ),
    ]
