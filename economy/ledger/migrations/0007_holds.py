"""Holds: two-phase movements, with their invariants held by the database
(migrations/sql/0007_holds.*.sql, by database)."""

from pathlib import Path

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from economy.common.sql_migrations import vendor_sql

SQL = Path(__file__).resolve().parent / "sql"


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0006_double_entry_required'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Hold',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount', models.BigIntegerField()),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('captured', 'Captured'), ('voided', 'Voided'), ('expired', 'Expired')], default='pending', max_length=16)),
                ('on_expiry', models.CharField(choices=[('void', 'Void: release it to the player'), ('capture', 'Capture: pay all of it to the destination')], default='void', max_length=16)),
                ('expires_at', models.DateTimeField()),
                ('reference', models.CharField(blank=True, help_text="The caller's name for it: a match, an order.", max_length=200)),
                ('captured_amount', models.BigIntegerField(blank=True, null=True)),
                ('reason', models.TextField(blank=True, help_text='Why it was voided, when support did it.')),
                ('idempotency_key', models.CharField(blank=True, max_length=255)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('resolved_at', models.DateTimeField(blank=True, null=True)),
                ('capture', models.OneToOneField(blank=True, help_text='The ledger row that paid the captured amount.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='captured_hold', to='ledger.transaction')),
                ('created_by', models.ForeignKey(blank=True, db_index=False, help_text='The backend that placed it.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('destination', models.ForeignKey(help_text="Where a capture pays it by default: a sink, or another player's wallet.", on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.wallet')),
                ('reservation', models.OneToOneField(help_text='The pending ledger row that reserves the amount.', on_delete=django.db.models.deletion.PROTECT, related_name='hold', to='ledger.transaction')),
                ('resolved_by', models.ForeignKey(blank=True, db_index=False, help_text='Who captured or voided it; empty when it expired.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('user', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='holds', to=settings.AUTH_USER_MODEL)),
                ('wallet', models.ForeignKey(help_text="The player's wallet.", on_delete=django.db.models.deletion.PROTECT, related_name='holds', to='ledger.wallet')),
            ],
            options={
                'ordering': ['-created_at', '-id'],
                'permissions': [('void_hold', 'Can void a pending hold (support)')],
                'indexes': [models.Index(fields=['user', '-created_at', '-id'], name='hold_user_created_idx'), models.Index(condition=models.Q(('status', 'pending')), fields=['expires_at'], name='hold_pending_expiry_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='hold_amount_gt_0'), models.CheckConstraint(condition=models.Q(('status__in', ['pending', 'captured', 'voided', 'expired'])), name='hold_status_valid'), models.CheckConstraint(condition=models.Q(('on_expiry__in', ['void', 'capture'])), name='hold_on_expiry_valid'), models.CheckConstraint(condition=models.Q(('wallet', models.F('destination')), _negated=True), name='hold_destination_not_its_wallet'), models.CheckConstraint(condition=models.Q(models.Q(('capture__isnull', True), ('captured_amount__isnull', True), ('resolved_at__isnull', True), ('status', 'pending')), models.Q(models.Q(('status', 'pending'), _negated=True), ('resolved_at__isnull', False), models.Q(models.Q(('capture__isnull', True), ('captured_amount__isnull', True)), models.Q(('capture__isnull', False), ('captured_amount__gt', 0), ('captured_amount__lte', models.F('amount'))), _connector='OR')), _connector='OR'), name='hold_outcome_consistent'), models.CheckConstraint(condition=models.Q(models.Q(('status', 'captured'), _negated=True), ('capture__isnull', False), _connector='OR'), name='hold_captured_has_capture'), models.CheckConstraint(condition=models.Q(models.Q(('status', 'voided'), _negated=True), ('capture__isnull', True), _connector='OR'), name='hold_voided_pays_nothing')],
            },
        ),
        vendor_sql(SQL / "0007_holds"),
    ]
