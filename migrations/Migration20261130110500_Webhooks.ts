import { Migration } from '@mikro-orm/migrations';

/** Partner webhooks (src/webhooks): endpoints and their deliveries, and the cursor table of log consumers. */
export class Migration20261130110500_Webhooks extends Migration {

  override async up(): Promise<void> {
    // The cursors of durable log consumers (src/kernel/log-consumer.ts): global, one row per consumer.
    this.addSql(`create table "event_log_consumer" ("name" varchar(100) not null, "transaction_id" xid8 not null, "position" bigint not null, "updated_at" timestamptz not null default now(), constraint "event_log_consumer_pkey" primary key ("name"));`);
    this.addSql(`create type "webhook_delivery_status" as enum ('PENDING', 'DELIVERED', 'FAILED');`);
    this.addSql(`create table "webhook_endpoint" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "url" varchar(2000) not null, "topics" text[] not null, "secret" varchar(100) not null, "enabled" boolean not null default true, "disabled_reason" varchar(1000) null, "failing_since" timestamptz null, constraint "webhook_endpoint_pkey" primary key ("id"));`);
    this.addSql(`create index "webhook_endpoint_workspace_id_index" on "webhook_endpoint" ("workspace_id");`);

    this.addSql(`create table "webhook_delivery" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "endpoint_id" uuid not null, "event_position" bigint not null, "event_transaction_id" bigint not null, "topic" varchar(100) not null, "subject_id" uuid not null, "status" "webhook_delivery_status" not null default 'PENDING', "attempts" int not null default 0, "response_status" int null, "last_error" varchar(500) null, "next_attempt_at" timestamptz null, "lease_until" timestamptz null, "delivered_at" timestamptz null, constraint "webhook_delivery_pkey" primary key ("id"));`);
    this.addSql(`create index "webhook_delivery_workspace_id_index" on "webhook_delivery" ("workspace_id");`);
    this.addSql(`create index "webhook_delivery_workspace_id_endpoint_id_subject__1c552_index" on "webhook_delivery" ("workspace_id", "endpoint_id", "subject_id", "status");`);
    this.addSql(`create index "webhook_delivery_status_next_attempt_at_index" on "webhook_delivery" ("status", "next_attempt_at");`);
    this.addSql(`create index "webhook_delivery_endpoint_id_created_at_id_index" on "webhook_delivery" ("endpoint_id", "created_at", "id");`);
    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_endpoint_id_event_position_unique" unique ("endpoint_id", "event_position");`);

    this.addSql(`alter table "webhook_endpoint" add constraint "webhook_endpoint_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_endpoint_id_foreign" foreign key ("endpoint_id") references "webhook_endpoint" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "event_log_consumer" cascade;`);
    this.addSql(`alter table "webhook_delivery" drop constraint "webhook_delivery_endpoint_id_foreign";`);

    this.addSql(`drop table if exists "webhook_endpoint" cascade;`);

    this.addSql(`drop table if exists "webhook_delivery" cascade;`);

    this.addSql(`drop type "webhook_delivery_status";`);
  }

}
