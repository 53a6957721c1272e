import { Migration } from '@mikro-orm/migrations';

export class Migration20261125173741_DemoSeeds extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "demo_seed" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "module" varchar(255) not null, constraint "demo_seed_pkey" primary key ("id"));`);
    this.addSql(`create index "demo_seed_workspace_id_index" on "demo_seed" ("workspace_id");`);
    this.addSql(`alter table "demo_seed" add constraint "demo_seed_workspace_id_module_unique" unique ("workspace_id", "module");`);

    this.addSql(`alter table "demo_seed" add constraint "demo_seed_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "demo_seed" cascade;`);
  }

}
