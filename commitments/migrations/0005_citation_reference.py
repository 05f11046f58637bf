"""Citations as a person reads them (issue 11): the document's publisher, title, kind and date,
where the passage is in it and a link, beside the file name and lines kept for traceability; the
location of a clause in the signed MoU. ``load_mou`` fills the new fields."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0004_overdue_indexes"),
    ]

    operations = [
        migrations.RenameField(model_name="citation", old_name="title", new_name="document_title"),
        migrations.AddField(model_name="citation", name="publisher", field=models.CharField(blank=True, max_length=200)),
        migrations.AddField(model_name="citation", name="document_kind", field=models.CharField(blank=True, max_length=100)),
        migrations.AddField(model_name="citation", name="document_date", field=models.DateField(blank=True, null=True)),
        migrations.AddField(
            model_name="citation",
            name="document_date_precision",
            field=models.CharField(blank=True, choices=[("year", "Year"), ("month", "Month"), ("day", "Day")], max_length=5),
        ),
        migrations.AddField(
            model_name="citation",
            name="location",
            field=models.CharField(blank=True, help_text="Where in the document: paragraph, item, section or page.", max_length=300),
        ),
        migrations.AddField(model_name="citation", name="url", field=models.URLField(blank=True, max_length=500)),
        migrations.AlterField(
            model_name="citation",
            name="document",
            field=models.CharField(help_text="The source's file name (traceability, not for display).", max_length=200),
        ),
        migrations.AlterField(
            model_name="citation",
            name="lines",
            field=models.CharField(blank=True, help_text="Line numbers in the source file (traceability, not for display).", max_length=40),
        ),
        migrations.AddField(
            model_name="clause",
            name="location",
            field=models.CharField(
                blank=True, help_text="Where in the signed MoU, as a reader would put it (section, paragraph).", max_length=300
            ),
        ),
        migrations.AddField(
            model_name="clause",
            name="reference",
            field=models.CharField(blank=True, help_text="The MoU's printed title, its date and the location.", max_length=500),
        ),
    ]
