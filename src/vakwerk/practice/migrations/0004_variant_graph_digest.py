import hashlib
import json

from django.db import migrations, models


def graph_digest_of(graph):
    """As ``practice.models.graph_digest_of`` when this migration was written."""
    text = json.dumps(graph, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def fill_digests(apps, schema_editor):
    ScenarioVariant = apps.get_model("practice", "ScenarioVariant")
    for variant in ScenarioVariant.objects.only("pk", "graph").iterator(chunk_size=100):
        ScenarioVariant.objects.filter(pk=variant.pk).update(
            graph_digest=graph_digest_of(variant.graph)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("practice", "0003_practice_bank_and_journal"),
    ]

    operations = [
        migrations.AddField(
            model_name="scenariovariant",
            name="graph_digest",
            field=models.CharField(default="", editable=False, max_length=64),
        ),
        migrations.RunPython(fill_digests, migrations.RunPython.noop),
    ]
