from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [
        migrations.AlterField(
            model_name="modelevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("registered", "Registered"),
                    ("retrain", "Retraining started"),
                    ("promoted", "Promoted"),
                    ("forced", "Promoted (forced)"),
                    ("rolled_back", "Rolled back"),
                    ("load_failed", "A worker could not load it"),
                ],
                max_length=16,
            ),
        ),
    ]
