import { Migration } from '@mikro-orm/migrations';

/**
 * A customer's orders, follow-ups, consents and external ids no longer go with a deleted customer: deleting a
 * customer that still has any fails. Only customerMerge deletes customers, after moving all of them to the kept
 * customer under row locks; this is the second fence should a write ever slip past those locks (it would make the
 * merge fail and roll back instead of silently deleting the row). Tags (customer_tag) still cascade: the merge
 * copies them and lets the merged customer's rows go with it. Deleting a workspace still removes everything, since
 * "no action" is checked at the end of the statement that cascades to both tables.
 */
const TABLES = ['customer_order', 'follow_up', 'consent_record', 'customer_external_id'];

export class Migration20261125182000_CustomerChildrenNoCascade extends Migration {

  override async up(): Promise<void> {
    for (const table of TABLES) this.setRule(table, 'no action');
  }

  override async down(): Promise<void> {
    for (const table of TABLES) this.setRule(table, 'cascade');
  }

  private setRule(table: string, rule: string): void {
    this.addSql(`alter table "${table}" drop constraint "${table}_customer_id_foreign";`);
    this.addSql(`alter table "${table}" add constraint "${table}_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete ${rule};`);
  }

}
