"""For migrations that move models between apps by state only (the tables stay): their content types follow them, so
the permissions the role groups hold and the rows that point at them by content type (an issued 月调度 report's
document) keep pointing at the same models."""

from django.db import migrations


def content_types_follow(*, from_app: str, to_app: str, models: tuple[str, ...]) -> migrations.RunPython:
    def forward(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        for model in models:
            if not ContentType.objects.filter(app_label=to_app, model=model).exists():
                ContentType.objects.filter(app_label=from_app, model=model).update(app_label=to_app)

    def backward(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        ContentType.objects.filter(app_label=to_app, model__in=models).update(app_label=from_app)

    return migrations.RunPython(forward, backward)
