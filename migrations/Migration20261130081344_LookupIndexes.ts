import { Migration } from '@mikro-orm/migrations';

export class Migration20261130081344_LookupIndexes extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "customer_workspace_id_name_id_index" on "customer" ("workspace_id", "name", "id");`);

    this.addSql(`create index "customer_order_workspace_id_placed_at_id_index" on "customer_order" ("workspace_id", "placed_at", "id");`);
    this.addSql(`create index "customer_order_workspace_id_external_id_index" on "customer_order" ("workspace_id", "external_id");`);
    this.addSql(`create index "customer_order_workspace_id_order_no_index" on "customer_order" ("workspace_id", "order_no");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "customer_workspace_id_name_id_index";`);

    this.addSql(`drop index "customer_order_workspace_id_placed_at_id_index";`);
    this.addSql(`drop index "customer_order_workspace_id_external_id_index";`);
    this.addSql(`drop index "customer_order_workspace_id_order_no_index";`);
  }

}
