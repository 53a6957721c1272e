import { Migration } from '@mikro-orm/migrations';

export class Migration20261130143340_PageViewTimes extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "page_view_workspace_id_viewed_at_index" on "page_view" ("workspace_id", "viewed_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "page_view_workspace_id_viewed_at_index";`);
  }

}
