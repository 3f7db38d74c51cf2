"""Transfers between players; 0002 makes them append-only in the database."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('catalog', '0005_giftable'),
        ('ledger', '0006_double_entry_required'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Transfer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount', models.BigIntegerField(blank=True, null=True)),
                ('quantity', models.PositiveIntegerField(blank=True, null=True)),
                ('reason', models.CharField(blank=True, help_text="The caller's note: a trade, a payout, a gift.", max_length=500)),
                ('idempotency_key', models.CharField(blank=True, max_length=255)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('created_by', models.ForeignKey(blank=True, db_index=False, help_text='Who made it: the sender itself, or a trusted backend.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('currency', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalog.currency')),
                ('from_user', models.ForeignKey(db_index=False, help_text='The sender.', on_delete=django.db.models.deletion.PROTECT, related_name='transfers_sent', to=settings.AUTH_USER_MODEL)),
                ('product', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalog.product')),
                ('to_user', models.ForeignKey(db_index=False, help_text='The receiver.', on_delete=django.db.models.deletion.PROTECT, related_name='transfers_received', to=settings.AUTH_USER_MODEL)),
                ('transaction', models.OneToOneField(blank=True, help_text='The ledger row that moved the currency.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='transfer', to='ledger.transaction')),
            ],
            options={
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['from_user', '-created_at', '-id'], name='transfer_from_created_idx'), models.Index(fields=['to_user', '-created_at', '-id'], name='transfer_to_created_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('amount__isnull', False), ('currency__isnull', False), ('product__isnull', True), ('quantity__isnull', True), ('transaction__isnull', False)), models.Q(('amount__isnull', True), ('currency__isnull', True), ('product__isnull', False), ('quantity__isnull', False), ('transaction__isnull', True)), _connector='OR'), name='transfer_currency_or_items'), models.CheckConstraint(condition=models.Q(('from_user', models.F('to_user')), _negated=True), name='transfer_between_two_users'), models.CheckConstraint(condition=models.Q(('amount__isnull', True), ('amount__gt', 0), _connector='OR'), name='transfer_amount_gt_0'), models.CheckConstraint(condition=models.Q(('quantity__isnull', True), ('quantity__gt', 0), _connector='OR'), name='transfer_quantity_gt_0')],
            },
        ),
    ]
