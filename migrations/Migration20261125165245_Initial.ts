import { Migration } from '@mikro-orm/migrations';

export class Migration20261125165245_Initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "user_role" as enum ('OWNER', 'MANAGER', 'AGENT', 'CRM_SPECIALIST', 'ANALYST');`);
    this.addSql(`create type "actor_kind" as enum ('USER', 'API_KEY', 'SYSTEM');`);
    this.addSql(`create table "workspace" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(255) not null, constraint "workspace_pkey" primary key ("id"));`);

    this.addSql(`create table "user" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "email" varchar(255) not null, "display_name" varchar(255) not null, "role" "user_role" not null, "password_hash" varchar(255) not null, "active" boolean not null default true, "version" int not null default 1, constraint "user_pkey" primary key ("id"));`);
    this.addSql(`create index "user_workspace_id_index" on "user" ("workspace_id");`);
    this.addSql(`alter table "user" add constraint "user_email_unique" unique ("email");`);

    this.addSql(`create table "session" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "user_id" uuid not null, "token_hash" varchar(64) not null, "expires_at" timestamptz not null, "revoked_at" timestamptz null, "last_used_at" timestamptz null, constraint "session_pkey" primary key ("id"));`);
    this.addSql(`create index "session_workspace_id_index" on "session" ("workspace_id");`);
    this.addSql(`alter table "session" add constraint "session_token_hash_unique" unique ("token_hash");`);

    this.addSql(`create table "audit_entry" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "action" varchar(255) not null, "subject_type" varchar(255) not null, "subject_id" uuid not null, "actor_kind" "actor_kind" not null, "actor_user_id" uuid null, "actor_api_key_id" uuid null, "changes" jsonb null, "request_id" varchar(255) null, constraint "audit_entry_pkey" primary key ("id"));`);
    this.addSql(`create index "audit_entry_workspace_id_index" on "audit_entry" ("workspace_id");`);
    this.addSql(`create index "audit_entry_workspace_id_subject_id_index" on "audit_entry" ("workspace_id", "subject_id");`);
    this.addSql(`create index "audit_entry_workspace_id_created_at_id_index" on "audit_entry" ("workspace_id", "created_at", "id");`);

    this.addSql(`create table "api_key" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "name" varchar(255) not null, "scopes" text[] not null, "prefix" varchar(16) not null, "secret_hash" varchar(64) not null, "created_by_id" uuid not null, "expires_at" timestamptz null, "revoked_at" timestamptz null, "last_used_at" timestamptz null, constraint "api_key_pkey" primary key ("id"));`);
    this.addSql(`create index "api_key_workspace_id_index" on "api_key" ("workspace_id");`);
    this.addSql(`alter table "api_key" add constraint "api_key_prefix_unique" unique ("prefix");`);
    this.addSql(`create index "api_key_workspace_id_created_at_index" on "api_key" ("workspace_id", "created_at");`);

    this.addSql(`alter table "user" add constraint "user_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "session" add constraint "session_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "session" add constraint "session_user_id_foreign" foreign key ("user_id") references "user" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "audit_entry" add constraint "audit_entry_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "api_key" add constraint "api_key_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "api_key" add constraint "api_key_created_by_id_foreign" foreign key ("created_by_id") references "user" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "user" drop constraint "user_workspace_id_foreign";`);

    this.addSql(`alter table "session" drop constraint "session_workspace_id_foreign";`);

    this.addSql(`alter table "audit_entry" drop constraint "audit_entry_workspace_id_foreign";`);

    this.addSql(`alter table "api_key" drop constraint "api_key_workspace_id_foreign";`);

    this.addSql(`alter table "session" drop constraint "session_user_id_foreign";`);

    this.addSql(`alter table "api_key" drop constraint "api_key_created_by_id_foreign";`);

    this.addSql(`drop table if exists "workspace" cascade;`);

    this.addSql(`drop table if exists "user" cascade;`);

    this.addSql(`drop table if exists "session" cascade;`);

    this.addSql(`drop table if exists "audit_entry" cascade;`);

    this.addSql(`drop table if exists "api_key" cascade;`);

    this.addSql(`drop type "user_role";`);
    this.addSql(`drop type "actor_kind";`);
  }

}
