import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 6, point 13: one spelling in public names (American English, as GraphQL APIs use) and one stored form of
 * codes. Renames keep every row (no drop and re-add), so it runs on a database with data:
 * - customer.behaviour_type (enum behaviour_type) → behavior_type (enum behavior_type)
 * - tag.colour → tag.color
 * - order status CANCELLED → CANCELED (renaming the enum value rewrites every row that holds it)
 * - consent channels stored lower-case and trimmed, as platforms always were (APP → app)
 * Audit entries keep the names they were written with: they record what happened then.
 */
export class Migration20261130080500_AmericanNames extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter type "behaviour_type" rename to "behavior_type";`);
    this.addSql(`alter table "customer" rename column "behaviour_type" to "behavior_type";`);
    this.addSql(`alter table "tag" rename column "colour" to "color";`);
    this.addSql(`alter type "order_status" rename value 'CANCELLED' to 'CANCELED';`);
    this.addSql(`update "consent_record" set "channel" = lower(btrim("channel")) where "channel" <> lower(btrim("channel"));`);
  }

  override async down(): Promise<void> {
    // Channels stay lower-case: their original case is not kept, and lower-case ones are valid before this too.
    this.addSql(`alter type "order_status" rename value 'CANCELED' to 'CANCELLED';`);
    this.addSql(`alter table "tag" rename column "color" to "colour";`);
    this.addSql(`alter table "customer" rename column "behavior_type" to "behaviour_type";`);
    this.addSql(`alter type "behavior_type" rename to "behaviour_type";`);
  }

}
