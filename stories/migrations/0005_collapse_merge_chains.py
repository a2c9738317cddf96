"""Point every merged story straight at the story that holds its coverage now.

Since stories.actions._apply_moves passes a story's merges on to its heir, merged_into is always one hop,
and readers follow it without a loop. Stories merged before that (a chain A → B → C) are collapsed here.
"""

from django.db import migrations


def collapse_merge_chains(apps, schema_editor):
    Story = apps.get_model("stories", "Story")
    heir_of = dict(Story.objects.filter(merged_into__isnull=False).values_list("pk", "merged_into_id"))
    for story_id, first in heir_of.items():
        heir, hops = first, 0
        while heir in heir_of and hops < len(heir_of):  # the bound only guards against a loop
            heir, hops = heir_of[heir], hops + 1
        if heir != first:
            Story.objects.filter(pk=story_id).update(merged_into=heir)


class Migration(migrations.Migration):
    dependencies = [("stories", "0004_hashtag_folded_from")]

    operations = [migrations.RunPython(collapse_merge_chains, migrations.RunPython.noop, elidable=True)]
