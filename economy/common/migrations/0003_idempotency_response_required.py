"""Every idempotency record is written with the response it guards (economy/common/idempotency.py
never stored one without), so both columns become NOT NULL."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("common", "0002_schedules")]

    operations = [
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="status_code",
            field=models.PositiveSmallIntegerField(),
        ),
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="response_body",
            field=models.BinaryField(),
        ),
    ]
