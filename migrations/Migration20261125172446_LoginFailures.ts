import { Migration } from '@mikro-orm/migrations';

export class Migration20261125172446_LoginFailures extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "login_failure" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "email_hash" varchar(64) not null, constraint "login_failure_pkey" primary key ("id"));`);
    this.addSql(`create index "login_failure_email_hash_created_at_index" on "login_failure" ("email_hash", "created_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "login_failure" cascade;`);
  }

}
