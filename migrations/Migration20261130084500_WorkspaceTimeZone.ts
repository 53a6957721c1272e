import { Migration } from '@mikro-orm/migrations';

export class Migration20261130084500_WorkspaceTimeZone extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "workspace" add column "time_zone" varchar(255) not null default 'Asia/Shanghai', add column "version" int not null default 1;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "workspace" drop column "time_zone", drop column "version";`);
  }

}
