import { Migration } from '@mikro-orm/migrations';

export class Migration20261125174304_TagVersion extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "tag" add column "version" int not null default 1;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "tag" drop column "version";`);
  }

}
