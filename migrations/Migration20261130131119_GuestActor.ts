import { Migration } from '@mikro-orm/migrations';

export class Migration20261130131119_GuestActor extends Migration {

  // Audit entries of changes made with a guest token (src/auth/guest-tokens.ts). PostgreSQL (12 and later) adds an
  // enum value inside the migrations' transaction, but the value may not be used before that transaction commits:
  // no later migration of the same run may write 'GUEST'.
  override async up(): Promise<void> {
    this.addSql(`alter type "actor_kind" add value if not exists 'GUEST' after 'API_KEY';`);

    this.addSql(`alter table "audit_entry" add column "actor_guest_type" varchar(255) null, add column "actor_guest_id" uuid null;`);
  }

  // PostgreSQL cannot drop an enum value; 'GUEST' stays in actor_kind, unused, which is harmless.
  override async down(): Promise<void> {
    this.addSql(`alter table "audit_entry" drop column "actor_guest_type", drop column "actor_guest_id";`);
  }

}
