import { Migration } from '@mikro-orm/migrations';

/**
 * Failed logins are counted per (email, client) and per client instead of per email. Rows from before have no
 * client: they are at most a day old and only slow down guessing, so they are dropped rather than guessed at.
 */
export class Migration20261130083000_LoginFailuresPerClient extends Migration {

  override async up(): Promise<void> {
    this.addSql(`delete from "login_failure";`);
    this.addSql(`drop index "login_failure_email_hash_created_at_index";`);
    this.addSql(`alter table "login_failure" add column "client_hash" varchar(64) not null;`);
    this.addSql(`create index "login_failure_client_hash_created_at_index" on "login_failure" ("client_hash", "created_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "login_failure_client_hash_created_at_index";`);
    this.addSql(`alter table "login_failure" drop column "client_hash";`);
    this.addSql(`create index "login_failure_email_hash_created_at_index" on "login_failure" ("email_hash", "created_at");`);
  }

}
