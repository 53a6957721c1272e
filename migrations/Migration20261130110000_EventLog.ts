import { Migration } from '@mikro-orm/migrations';

/**
 * The durable domain-event log (src/kernel/event-log.ts). Not an ORM entity: it is written and read with SQL only,
 * and the schema generator leaves it alone (ormOptions' skipTables).
 * - position: from an identity, handed out before commit; transaction_id (xid8) orders the log with it and tells
 *   readers which events no running transaction can still precede.
 * - The primary key leads with workspace_id, the distribution column (README, production notes).
 * - A statement trigger NOTIFYs the readers once per inserting statement; PostgreSQL delivers it at commit.
 */
export class Migration20261130110000_EventLog extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "domain_event" (
      "workspace_id" uuid not null,
      "position" bigint generated always as identity,
      "transaction_id" xid8 not null default pg_current_xact_id(),
      "topic" varchar(100) not null,
      "subject_id" uuid not null,
      "refs" jsonb not null default '{}',
      "actor_kind" varchar(16) not null,
      "actor_id" uuid null,
      "occurred_at" timestamptz not null default now(),
      constraint "domain_event_pkey" primary key ("workspace_id", "position"));`);
    this.addSql(`create index "domain_event_log_order_index" on "domain_event" ("transaction_id", "position");`);
    this.addSql(`create index "domain_event_workspace_log_order_index" on "domain_event" ("workspace_id", "transaction_id", "position");`);
    this.addSql(`create index "domain_event_occurred_at_index" on "domain_event" ("occurred_at");`);
    this.addSql(`create function "domain_event_notify"() returns trigger language plpgsql as $$
      begin perform pg_notify('domain_events', ''); return null; end $$;`);
    this.addSql(`create trigger "domain_event_notify" after insert on "domain_event" for each statement execute function "domain_event_notify"();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "domain_event" cascade;`);
    this.addSql(`drop function if exists "domain_event_notify"();`);
  }
}
