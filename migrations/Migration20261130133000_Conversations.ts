import { Migration } from '@mikro-orm/migrations';

export class Migration20261130133000_Conversations extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "assignment_rule" as enum ('ROUND_ROBIN', 'SEQUENTIAL', 'LEAST_LOAD', 'FILL_UP');`);
    this.addSql(`create type "channel_type" as enum ('WEB', 'MOBILE_WEB', 'APP', 'WECHAT_OFFICIAL', 'WECHAT_MINI_PROGRAM', 'WECHAT_PERSONAL', 'PHONE', 'EMAIL', 'SOCIAL', 'API');`);
    this.addSql(`create type "reception_mode" as enum ('BOT_FIRST', 'HUMAN_FIRST', 'HUMAN_ONLY');`);
    this.addSql(`create type "conversation_status" as enum ('BOT', 'QUEUED', 'ACTIVE', 'CLOSED');`);
    this.addSql(`create type "message_author_kind" as enum ('VISITOR', 'AGENT', 'BOT', 'SYSTEM');`);
    this.addSql(`create type "message_kind" as enum ('TEXT', 'IMAGE', 'LINK', 'RICH_TEXT', 'EMOJI', 'NOTE');`);
    this.addSql(`create type "assigned_by" as enum ('ROUND_ROBIN', 'SEQUENTIAL', 'LEAST_LOAD', 'FILL_UP', 'RETURNING_CUSTOMER', 'TRANSFER', 'INVITATION');`);
    this.addSql(`create type "agent_status" as enum ('ONLINE', 'BUSY', 'AWAY', 'OFFLINE');`);
    this.addSql(`create table "service_group" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "name" varchar(100) not null, "assignment_rule" "assignment_rule" not null, "returning_customer_first" boolean not null default false, "round_robin_online_since" timestamptz null, "round_robin_agent_id" uuid null, constraint "service_group_pkey" primary key ("id"));`);
    this.addSql(`alter table "service_group" add constraint "service_group_workspace_id_id_unique" unique ("workspace_id", "id");`);
    this.addSql(`alter table "service_group" add constraint "service_group_workspace_id_name_unique" unique ("workspace_id", "name");`);

    this.addSql(`create table "service_group_member" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "group_id" uuid not null, "agent_id" uuid not null, "position" int not null, constraint "service_group_member_pkey" primary key ("id"));`);
    this.addSql(`create index "service_group_member_workspace_id_agent_id_index" on "service_group_member" ("workspace_id", "agent_id");`);
    this.addSql(`alter table "service_group_member" add constraint "service_group_member_workspace_id_id_unique" unique ("workspace_id", "id");`);
    this.addSql(`alter table "service_group_member" add constraint "service_group_member_workspace_id_group_id_agent_id_unique" unique ("workspace_id", "group_id", "agent_id");`);

    this.addSql(`create table "routing_rule" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "name" varchar(100) not null, "position" int not null, "conditions" jsonb not null, "target_group_id" uuid not null, "active" boolean not null default true, constraint "routing_rule_pkey" primary key ("id"));`);
    this.addSql(`create index "routing_rule_workspace_id_position_index" on "routing_rule" ("workspace_id", "position");`);
    this.addSql(`alter table "routing_rule" add constraint "routing_rule_workspace_id_id_unique" unique ("workspace_id", "id");`);

    this.addSql(`create table "quick_reply" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "owner_id" uuid null, "title" varchar(100) not null, "content" text not null, "shortcut" varchar(30) null, "category" varchar(50) null, constraint "quick_reply_pkey" primary key ("id"));`);
    this.addSql(`create index "quick_reply_workspace_id_owner_id_category_index" on "quick_reply" ("workspace_id", "owner_id", "category");`);
    this.addSql(`alter table "quick_reply" add constraint "quick_reply_workspace_id_id_unique" unique ("workspace_id", "id");`);

    this.addSql(`create table "conversation_settings" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "rating_tags" text[] not null, "reassign_after_silence_seconds" int null, constraint "conversation_settings_pkey" primary key ("id"));`);
    this.addSql(`alter table "conversation_settings" add constraint "conversation_settings_workspace_id_id_unique" unique ("workspace_id", "id");`);
    this.addSql(`alter table "conversation_settings" add constraint "conversation_settings_workspace_id_unique" unique ("workspace_id");`);

    this.addSql(`create table "channel" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "name" varchar(100) not null, "type" "channel_type" not null, "reception_mode" "reception_mode" not null, "default_group_id" uuid null, "widget_key" varchar(40) not null, "auto_replies" jsonb not null, "business_hours" jsonb null, constraint "channel_pkey" primary key ("id"));`);
    this.addSql(`create index "channel_widget_key_index" on "channel" ("widget_key");`);
    this.addSql(`alter table "channel" add constraint "channel_workspace_id_id_unique" unique ("workspace_id", "id");`);
    this.addSql(`alter table "channel" add constraint "channel_workspace_id_widget_key_unique" unique ("workspace_id", "widget_key");`);
    this.addSql(`alter table "channel" add constraint "channel_workspace_id_name_unique" unique ("workspace_id", "name");`);

    this.addSql(`create table "visitor" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "channel_id" uuid not null, "customer_id" uuid null, "external_id" varchar(100) null, "context" jsonb not null, "last_seen_at" timestamptz not null, constraint "visitor_pkey" primary key ("id"));`);
    this.addSql(`create index "visitor_workspace_id_customer_id_index" on "visitor" ("workspace_id", "customer_id");`);
    this.addSql(`create index "visitor_workspace_id_channel_id_last_seen_at_index" on "visitor" ("workspace_id", "channel_id", "last_seen_at");`);
    this.addSql(`alter table "visitor" add constraint "visitor_workspace_id_id_unique" unique ("workspace_id", "id");`);

    this.addSql(`create table "page_view" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "visitor_id" uuid not null, "url" text not null, "title" varchar(300) null, "viewed_at" timestamptz not null, constraint "page_view_pkey" primary key ("id"));`);
    this.addSql(`create index "page_view_workspace_id_visitor_id_viewed_at_index" on "page_view" ("workspace_id", "visitor_id", "viewed_at");`);
    this.addSql(`alter table "page_view" add constraint "page_view_workspace_id_id_unique" unique ("workspace_id", "id");`);

    this.addSql(`create table "conversation" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "channel_id" uuid not null, "visitor_id" uuid not null, "customer_id" uuid not null, "status" "conversation_status" not null, "group_id" uuid null, "assignee_id" uuid null, "served_by_id" uuid null, "context" jsonb not null, "queued_at" timestamptz null, "assigned_at" timestamptz null, "first_response_at" timestamptz null, "first_assigned_at" timestamptz null, "last_message_at" timestamptz null, "last_visitor_message_at" timestamptz null, "last_agent_message_at" timestamptz null, "next_seq" int not null default 1, "visitor_read_seq" int not null default 0, "agent_read_seq" int not null default 0, "human_served" boolean not null default false, "escalated" boolean not null default false, "closed_at" timestamptz null, "rating_score" smallint null, "rating_tags" text[] null, "rating_comment" text null, "rated_at" timestamptz null, constraint "conversation_pkey" primary key ("id"));`);
    this.addSql(`create index "conversation_workspace_id_visitor_id_index" on "conversation" ("workspace_id", "visitor_id");`);
    this.addSql(`create index "conversation_workspace_id_created_at_id_index" on "conversation" ("workspace_id", "created_at", "id");`);
    this.addSql(`create index "conversation_workspace_id_customer_id_created_at_index" on "conversation" ("workspace_id", "customer_id", "created_at");`);
    this.addSql(`create index "conversation_workspace_id_assignee_id_status_index" on "conversation" ("workspace_id", "assignee_id", "status");`);
    this.addSql(`create index "conversation_workspace_id_status_group_id_queued_at_id_index" on "conversation" ("workspace_id", "status", "group_id", "queued_at", "id");`);
    this.addSql(`alter table "conversation" add constraint "conversation_workspace_id_id_unique" unique ("workspace_id", "id");`);

    this.addSql(`create table "message" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "conversation_id" uuid not null, "seq" int not null, "author_kind" "message_author_kind" not null, "author_user_id" uuid null, "kind" "message_kind" not null, "content" text not null, constraint "message_pkey" primary key ("id"));`);
    this.addSql(`create index "message_content_trgm_index" on "message" using gin ("content" gin_trgm_ops);`);
    this.addSql(`alter table "message" add constraint "message_workspace_id_id_unique" unique ("workspace_id", "id");`);
    this.addSql(`alter table "message" add constraint "message_workspace_id_conversation_id_seq_unique" unique ("workspace_id", "conversation_id", "seq");`);

    this.addSql(`create table "assignment" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "conversation_id" uuid not null, "agent_id" uuid not null, "group_id" uuid null, "rule" "assigned_by" not null, "reason" jsonb not null, "ended_at" timestamptz null, constraint "assignment_pkey" primary key ("id"));`);
    this.addSql(`create index "assignment_workspace_id_agent_id_created_at_index" on "assignment" ("workspace_id", "agent_id", "created_at");`);
    this.addSql(`create index "assignment_workspace_id_conversation_id_created_at_index" on "assignment" ("workspace_id", "conversation_id", "created_at");`);
    this.addSql(`alter table "assignment" add constraint "assignment_workspace_id_id_unique" unique ("workspace_id", "id");`);

    this.addSql(`create table "agent_state" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "agent_id" uuid not null, "status" "agent_status" not null default 'OFFLINE', "online_since" timestamptz null, "capacity" int not null default 5, "active_count" int not null default 0, "handled_today" int not null default 0, "handled_on" date null, "last_assigned_at" timestamptz null, constraint "agent_state_pkey" primary key ("id"));`);
    this.addSql(`alter table "agent_state" add constraint "agent_state_workspace_id_id_unique" unique ("workspace_id", "id");`);
    this.addSql(`alter table "agent_state" add constraint "agent_state_workspace_id_agent_id_unique" unique ("workspace_id", "agent_id");`);

    this.addSql(`alter table "service_group" add constraint "service_group_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "service_group_member" add constraint "service_group_member_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "service_group_member" add constraint "service_group_member_workspace_id_group_id_foreign" foreign key ("workspace_id", "group_id") references "service_group" ("workspace_id", "id") on delete cascade;`);
    this.addSql(`alter table "service_group_member" add constraint "service_group_member_workspace_id_agent_id_foreign" foreign key ("workspace_id", "agent_id") references "user" ("workspace_id", "id") on delete no action;`);

    this.addSql(`alter table "routing_rule" add constraint "routing_rule_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "routing_rule" add constraint "routing_rule_workspace_id_target_group_id_foreign" foreign key ("workspace_id", "target_group_id") references "service_group" ("workspace_id", "id") on delete no action;`);

    this.addSql(`alter table "quick_reply" add constraint "quick_reply_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "quick_reply" add constraint "quick_reply_workspace_id_owner_id_foreign" foreign key ("workspace_id", "owner_id") references "user" ("workspace_id", "id") on delete cascade;`);

    this.addSql(`alter table "conversation_settings" add constraint "conversation_settings_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "channel" add constraint "channel_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "channel" add constraint "channel_workspace_id_default_group_id_foreign" foreign key ("workspace_id", "default_group_id") references "service_group" ("workspace_id", "id") on delete no action;`);

    this.addSql(`alter table "visitor" add constraint "visitor_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "visitor" add constraint "visitor_workspace_id_channel_id_foreign" foreign key ("workspace_id", "channel_id") references "channel" ("workspace_id", "id") on delete no action;`);
    this.addSql(`alter table "visitor" add constraint "visitor_workspace_id_customer_id_foreign" foreign key ("workspace_id", "customer_id") references "customer" ("workspace_id", "id") on delete no action;`);

    this.addSql(`alter table "page_view" add constraint "page_view_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "page_view" add constraint "page_view_workspace_id_visitor_id_foreign" foreign key ("workspace_id", "visitor_id") references "visitor" ("workspace_id", "id") on delete cascade;`);

    this.addSql(`alter table "conversation" add constraint "conversation_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "conversation" add constraint "conversation_workspace_id_channel_id_foreign" foreign key ("workspace_id", "channel_id") references "channel" ("workspace_id", "id") on delete no action;`);
    this.addSql(`alter table "conversation" add constraint "conversation_workspace_id_visitor_id_foreign" foreign key ("workspace_id", "visitor_id") references "visitor" ("workspace_id", "id") on delete no action;`);
    this.addSql(`alter table "conversation" add constraint "conversation_workspace_id_customer_id_foreign" foreign key ("workspace_id", "customer_id") references "customer" ("workspace_id", "id") on delete no action;`);
    this.addSql(`alter table "conversation" add constraint "conversation_workspace_id_group_id_foreign" foreign key ("workspace_id", "group_id") references "service_group" ("workspace_id", "id") on delete no action;`);
    this.addSql(`alter table "conversation" add constraint "conversation_workspace_id_assignee_id_foreign" foreign key ("workspace_id", "assignee_id") references "user" ("workspace_id", "id") on delete no action;`);
    this.addSql(`alter table "conversation" add constraint "conversation_workspace_id_served_by_id_foreign" foreign key ("workspace_id", "served_by_id") references "user" ("workspace_id", "id") on delete no action;`);

    this.addSql(`alter table "message" add constraint "message_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "message" add constraint "message_workspace_id_conversation_id_foreign" foreign key ("workspace_id", "conversation_id") references "conversation" ("workspace_id", "id") on delete cascade;`);

    this.addSql(`alter table "assignment" add constraint "assignment_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "assignment" add constraint "assignment_workspace_id_conversation_id_foreign" foreign key ("workspace_id", "conversation_id") references "conversation" ("workspace_id", "id") on delete cascade;`);
    this.addSql(`alter table "assignment" add constraint "assignment_workspace_id_agent_id_foreign" foreign key ("workspace_id", "agent_id") references "user" ("workspace_id", "id") on delete no action;`);
    this.addSql(`alter table "assignment" add constraint "assignment_workspace_id_group_id_foreign" foreign key ("workspace_id", "group_id") references "service_group" ("workspace_id", "id") on delete no action;`);

    this.addSql(`alter table "agent_state" add constraint "agent_state_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "agent_state" add constraint "agent_state_workspace_id_agent_id_foreign" foreign key ("workspace_id", "agent_id") references "user" ("workspace_id", "id") on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "service_group_member" drop constraint "service_group_member_workspace_id_group_id_foreign";`);

    this.addSql(`alter table "routing_rule" drop constraint "routing_rule_workspace_id_target_group_id_foreign";`);

    this.addSql(`alter table "channel" drop constraint "channel_workspace_id_default_group_id_foreign";`);

    this.addSql(`alter table "conversation" drop constraint "conversation_workspace_id_group_id_foreign";`);

    this.addSql(`alter table "assignment" drop constraint "assignment_workspace_id_group_id_foreign";`);

    this.addSql(`alter table "visitor" drop constraint "visitor_workspace_id_channel_id_foreign";`);

    this.addSql(`alter table "conversation" drop constraint "conversation_workspace_id_channel_id_foreign";`);

    this.addSql(`alter table "page_view" drop constraint "page_view_workspace_id_visitor_id_foreign";`);

    this.addSql(`alter table "conversation" drop constraint "conversation_workspace_id_visitor_id_foreign";`);

    this.addSql(`alter table "message" drop constraint "message_workspace_id_conversation_id_foreign";`);

    this.addSql(`alter table "assignment" drop constraint "assignment_workspace_id_conversation_id_foreign";`);

    this.addSql(`drop table if exists "service_group" cascade;`);

    this.addSql(`drop table if exists "service_group_member" cascade;`);

    this.addSql(`drop table if exists "routing_rule" cascade;`);

    this.addSql(`drop table if exists "quick_reply" cascade;`);

    this.addSql(`drop table if exists "conversation_settings" cascade;`);

    this.addSql(`drop table if exists "channel" cascade;`);

    this.addSql(`drop table if exists "visitor" cascade;`);

    this.addSql(`drop table if exists "page_view" cascade;`);

    this.addSql(`drop table if exists "conversation" cascade;`);

    this.addSql(`drop table if exists "message" cascade;`);

    this.addSql(`drop table if exists "assignment" cascade;`);

    this.addSql(`drop table if exists "agent_state" cascade;`);

    this.addSql(`drop type "assignment_rule";`);
    this.addSql(`drop type "channel_type";`);
    this.addSql(`drop type "reception_mode";`);
    this.addSql(`drop type "conversation_status";`);
    this.addSql(`drop type "message_author_kind";`);
    this.addSql(`drop type "message_kind";`);
    this.addSql(`drop type "assigned_by";`);
    this.addSql(`drop type "agent_status";`);
  }

}
