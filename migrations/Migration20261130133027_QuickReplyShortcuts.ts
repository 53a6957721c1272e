import { Migration } from '@mikro-orm/migrations';

export class Migration20261130133027_QuickReplyShortcuts extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create unique index "quick_reply_shortcut_unique" on "quick_reply" ("workspace_id", coalesce("owner_id", '00000000-0000-0000-0000-000000000000'), lower("shortcut")) where "shortcut" is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "quick_reply_shortcut_unique";`);
  }

}
