import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 7, point 12: every workspace table ready to be distributed by workspace_id (README, Production notes).
 * - every workspace table gets a unique (workspace_id, id), the target of the widened foreign keys; it replaces the
 *   plain workspace_id index, which it serves as well;
 * - foreign keys between workspace tables become (workspace_id, x_id) → (workspace_id, id): a row can no longer
 *   point at another workspace's record. Rows are kept; a database that somehow holds such a cross-workspace
 *   reference fails here, naming the constraint, rather than keeping it;
 * - unique indexes include workspace_id: customer tags, session and reset tokens, API key prefixes, user emails,
 *   webhook deliveries per endpoint and event;
 *   tokens and prefixes keep a plain index for their lookup across workspaces;
 * - emails stay unique across workspaces through the global login_email table, filled from the existing users.
 * The schema diff (`npm run migration:create`) finds nothing left to do after it: see src/db/workspace-keys.ts.
 */
export class Migration20261130113000_WorkspaceKeys extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "login_email" ("email" varchar(255) not null, "workspace_id" uuid not null, "user_id" uuid not null, constraint "login_email_pkey" primary key ("email"));`);

    this.addSql(`alter table "login_email" add constraint "login_email_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);
    this.addSql(`insert into "login_email" ("email", "workspace_id", "user_id") select "email", "workspace_id", "id" from "user";`);

    this.addSql(`alter table "session" drop constraint "session_user_id_foreign";`);

    this.addSql(`alter table "password_reset" drop constraint "password_reset_user_id_foreign";`);

    this.addSql(`alter table "customer_order" drop constraint "customer_order_customer_id_foreign";`);

    this.addSql(`alter table "order_item" drop constraint "order_item_order_id_foreign";`);

    this.addSql(`alter table "follow_up" drop constraint "follow_up_customer_id_foreign";`);

    this.addSql(`alter table "customer_tag" drop constraint "customer_tag_customer_id_foreign";`);
    this.addSql(`alter table "customer_tag" drop constraint "customer_tag_tag_id_foreign";`);

    this.addSql(`alter table "customer_external_id" drop constraint "customer_external_id_customer_id_foreign";`);

    this.addSql(`alter table "consent_record" drop constraint "consent_record_customer_id_foreign";`);

    this.addSql(`alter table "api_key" drop constraint "api_key_created_by_id_foreign";`);

    this.addSql(`alter table "user" drop constraint "user_email_unique";`);
    this.addSql(`drop index "user_workspace_id_index";`);

    this.addSql(`alter table "user" add constraint "user_workspace_id_id_unique" unique ("workspace_id", "id");`);
    this.addSql(`alter table "user" add constraint "user_workspace_id_email_unique" unique ("workspace_id", "email");`);

    this.addSql(`drop index "tag_workspace_id_index";`);

    this.addSql(`alter table "tag" add constraint "tag_workspace_id_id_unique" unique ("workspace_id", "id");`);

    this.addSql(`alter table "session" drop constraint "session_token_hash_unique";`);
    this.addSql(`drop index "session_workspace_id_index";`);

    this.addSql(`alter table "session" add constraint "session_workspace_id_user_id_foreign" foreign key ("workspace_id", "user_id") references "user" ("workspace_id", "id") on delete cascade;`);
    this.addSql(`create index "session_token_hash_index" on "session" ("token_hash");`);
    this.addSql(`alter table "session" add constraint "session_workspace_id_id_unique" unique ("workspace_id", "id");`);
    this.addSql(`alter table "session" add constraint "session_workspace_id_token_hash_unique" unique ("workspace_id", "token_hash");`);

    this.addSql(`alter table "password_reset" drop constraint "password_reset_token_hash_unique";`);
    this.addSql(`drop index "password_reset_workspace_id_index";`);

    this.addSql(`alter table "password_reset" add constraint "password_reset_workspace_id_user_id_foreign" foreign key ("workspace_id", "user_id") references "user" ("workspace_id", "id") on delete cascade;`);
    this.addSql(`create index "password_reset_token_hash_index" on "password_reset" ("token_hash");`);
    this.addSql(`alter table "password_reset" add constraint "password_reset_workspace_id_id_unique" unique ("workspace_id", "id");`);
    this.addSql(`alter table "password_reset" add constraint "password_reset_workspace_id_token_hash_unique" unique ("workspace_id", "token_hash");`);

    this.addSql(`drop index "demo_seed_workspace_id_index";`);

    this.addSql(`alter table "demo_seed" add constraint "demo_seed_workspace_id_id_unique" unique ("workspace_id", "id");`);

    this.addSql(`drop index "customer_workspace_id_index";`);

    this.addSql(`alter table "customer" add constraint "customer_workspace_id_id_unique" unique ("workspace_id", "id");`);

    this.addSql(`drop index "customer_order_workspace_id_index";`);

    this.addSql(`alter table "customer_order" add constraint "customer_order_workspace_id_customer_id_foreign" foreign key ("workspace_id", "customer_id") references "customer" ("workspace_id", "id") on delete no action;`);
    this.addSql(`alter table "customer_order" add constraint "customer_order_workspace_id_id_unique" unique ("workspace_id", "id");`);

    this.addSql(`drop index "order_item_workspace_id_index";`);

    this.addSql(`alter table "order_item" add constraint "order_item_workspace_id_order_id_foreign" foreign key ("workspace_id", "order_id") references "customer_order" ("workspace_id", "id") on delete cascade;`);
    this.addSql(`alter table "order_item" add constraint "order_item_workspace_id_id_unique" unique ("workspace_id", "id");`);

    this.addSql(`drop index "follow_up_workspace_id_index";`);

    this.addSql(`alter table "follow_up" add constraint "follow_up_workspace_id_customer_id_foreign" foreign key ("workspace_id", "customer_id") references "customer" ("workspace_id", "id") on delete no action;`);
    this.addSql(`alter table "follow_up" add constraint "follow_up_workspace_id_id_unique" unique ("workspace_id", "id");`);

    this.addSql(`alter table "customer_tag" drop constraint "customer_tag_customer_id_tag_id_unique";`);
    this.addSql(`drop index "customer_tag_workspace_id_index";`);

    this.addSql(`alter table "customer_tag" add constraint "customer_tag_workspace_id_customer_id_foreign" foreign key ("workspace_id", "customer_id") references "customer" ("workspace_id", "id") on delete cascade;`);
    this.addSql(`alter table "customer_tag" add constraint "customer_tag_workspace_id_tag_id_foreign" foreign key ("workspace_id", "tag_id") references "tag" ("workspace_id", "id") on delete cascade;`);
    this.addSql(`alter table "customer_tag" add constraint "customer_tag_workspace_id_id_unique" unique ("workspace_id", "id");`);
    this.addSql(`alter table "customer_tag" add constraint "customer_tag_workspace_id_customer_id_tag_id_unique" unique ("workspace_id", "customer_id", "tag_id");`);

    this.addSql(`drop index "customer_external_id_workspace_id_index";`);

    this.addSql(`alter table "customer_external_id" add constraint "customer_external_id_workspace_id_customer_id_foreign" foreign key ("workspace_id", "customer_id") references "customer" ("workspace_id", "id") on delete no action;`);
    this.addSql(`alter table "customer_external_id" add constraint "customer_external_id_workspace_id_id_unique" unique ("workspace_id", "id");`);

    this.addSql(`drop index "consent_record_workspace_id_index";`);

    this.addSql(`alter table "consent_record" add constraint "consent_record_workspace_id_customer_id_foreign" foreign key ("workspace_id", "customer_id") references "customer" ("workspace_id", "id") on delete no action;`);
    this.addSql(`alter table "consent_record" add constraint "consent_record_workspace_id_id_unique" unique ("workspace_id", "id");`);

    this.addSql(`drop index "audit_entry_workspace_id_index";`);

    this.addSql(`alter table "audit_entry" add constraint "audit_entry_workspace_id_id_unique" unique ("workspace_id", "id");`);

    this.addSql(`alter table "api_key" drop constraint "api_key_prefix_unique";`);
    this.addSql(`drop index "api_key_workspace_id_index";`);

    this.addSql(`alter table "api_key" add constraint "api_key_workspace_id_created_by_id_foreign" foreign key ("workspace_id", "created_by_id") references "user" ("workspace_id", "id") on delete cascade;`);
    this.addSql(`create index "api_key_prefix_index" on "api_key" ("prefix");`);
    this.addSql(`alter table "api_key" add constraint "api_key_workspace_id_id_unique" unique ("workspace_id", "id");`);
    this.addSql(`alter table "api_key" add constraint "api_key_workspace_id_prefix_unique" unique ("workspace_id", "prefix");`);

    // The webhook tables (issue 7, point 10).
    this.addSql(`alter table "webhook_delivery" drop constraint "webhook_delivery_endpoint_id_foreign";`);

    this.addSql(`drop index "webhook_endpoint_workspace_id_index";`);

    this.addSql(`alter table "webhook_endpoint" add constraint "webhook_endpoint_workspace_id_id_unique" unique ("workspace_id", "id");`);

    this.addSql(`alter table "webhook_delivery" drop constraint "webhook_delivery_endpoint_id_event_position_unique";`);
    this.addSql(`drop index "webhook_delivery_workspace_id_index";`);

    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_workspace_id_endpoint_id_foreign" foreign key ("workspace_id", "endpoint_id") references "webhook_endpoint" ("workspace_id", "id") on delete cascade;`);
    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_workspace_id_id_unique" unique ("workspace_id", "id");`);
    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_workspace_id_endpoint_id_event_position_unique" unique ("workspace_id", "endpoint_id", "event_position");`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "webhook_delivery" drop constraint "webhook_delivery_workspace_id_endpoint_id_foreign";`);

    this.addSql(`alter table "webhook_delivery" drop constraint "webhook_delivery_workspace_id_id_unique";`);
    this.addSql(`alter table "webhook_delivery" drop constraint "webhook_delivery_workspace_id_endpoint_id_event_position_unique";`);

    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_endpoint_id_foreign" foreign key ("endpoint_id") references "webhook_endpoint" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_endpoint_id_event_position_unique" unique ("endpoint_id", "event_position");`);
    this.addSql(`create index "webhook_delivery_workspace_id_index" on "webhook_delivery" ("workspace_id");`);

    this.addSql(`alter table "webhook_endpoint" drop constraint "webhook_endpoint_workspace_id_id_unique";`);

    this.addSql(`create index "webhook_endpoint_workspace_id_index" on "webhook_endpoint" ("workspace_id");`);

    this.addSql(`drop table if exists "login_email" cascade;`);

    this.addSql(`alter table "api_key" drop constraint "api_key_workspace_id_created_by_id_foreign";`);

    this.addSql(`alter table "consent_record" drop constraint "consent_record_workspace_id_customer_id_foreign";`);

    this.addSql(`alter table "customer_external_id" drop constraint "customer_external_id_workspace_id_customer_id_foreign";`);

    this.addSql(`alter table "customer_order" drop constraint "customer_order_workspace_id_customer_id_foreign";`);

    this.addSql(`alter table "customer_tag" drop constraint "customer_tag_workspace_id_customer_id_foreign";`);
    this.addSql(`alter table "customer_tag" drop constraint "customer_tag_workspace_id_tag_id_foreign";`);

    this.addSql(`alter table "follow_up" drop constraint "follow_up_workspace_id_customer_id_foreign";`);

    this.addSql(`alter table "order_item" drop constraint "order_item_workspace_id_order_id_foreign";`);

    this.addSql(`alter table "password_reset" drop constraint "password_reset_workspace_id_user_id_foreign";`);

    this.addSql(`alter table "session" drop constraint "session_workspace_id_user_id_foreign";`);

    this.addSql(`drop index "api_key_prefix_index";`);
    this.addSql(`alter table "api_key" drop constraint "api_key_workspace_id_id_unique";`);
    this.addSql(`alter table "api_key" drop constraint "api_key_workspace_id_prefix_unique";`);

    this.addSql(`alter table "api_key" add constraint "api_key_created_by_id_foreign" foreign key ("created_by_id") references "user" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "api_key" add constraint "api_key_prefix_unique" unique ("prefix");`);
    this.addSql(`create index "api_key_workspace_id_index" on "api_key" ("workspace_id");`);

    this.addSql(`alter table "audit_entry" drop constraint "audit_entry_workspace_id_id_unique";`);

    this.addSql(`create index "audit_entry_workspace_id_index" on "audit_entry" ("workspace_id");`);

    this.addSql(`alter table "consent_record" drop constraint "consent_record_workspace_id_id_unique";`);

    this.addSql(`alter table "consent_record" add constraint "consent_record_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete no action;`);
    this.addSql(`create index "consent_record_workspace_id_index" on "consent_record" ("workspace_id");`);

    this.addSql(`alter table "customer" drop constraint "customer_workspace_id_id_unique";`);

    this.addSql(`create index "customer_workspace_id_index" on "customer" ("workspace_id");`);

    this.addSql(`alter table "customer_external_id" drop constraint "customer_external_id_workspace_id_id_unique";`);

    this.addSql(`alter table "customer_external_id" add constraint "customer_external_id_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete no action;`);
    this.addSql(`create index "customer_external_id_workspace_id_index" on "customer_external_id" ("workspace_id");`);

    this.addSql(`alter table "customer_order" drop constraint "customer_order_workspace_id_id_unique";`);

    this.addSql(`alter table "customer_order" add constraint "customer_order_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete no action;`);
    this.addSql(`create index "customer_order_workspace_id_index" on "customer_order" ("workspace_id");`);

    this.addSql(`alter table "customer_tag" drop constraint "customer_tag_workspace_id_id_unique";`);
    this.addSql(`alter table "customer_tag" drop constraint "customer_tag_workspace_id_customer_id_tag_id_unique";`);

    this.addSql(`alter table "customer_tag" add constraint "customer_tag_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "customer_tag" add constraint "customer_tag_tag_id_foreign" foreign key ("tag_id") references "tag" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "customer_tag" add constraint "customer_tag_customer_id_tag_id_unique" unique ("customer_id", "tag_id");`);
    this.addSql(`create index "customer_tag_workspace_id_index" on "customer_tag" ("workspace_id");`);

    this.addSql(`alter table "demo_seed" drop constraint "demo_seed_workspace_id_id_unique";`);

    this.addSql(`create index "demo_seed_workspace_id_index" on "demo_seed" ("workspace_id");`);

    this.addSql(`alter table "follow_up" drop constraint "follow_up_workspace_id_id_unique";`);

    this.addSql(`alter table "follow_up" add constraint "follow_up_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete no action;`);
    this.addSql(`create index "follow_up_workspace_id_index" on "follow_up" ("workspace_id");`);

    this.addSql(`alter table "order_item" drop constraint "order_item_workspace_id_id_unique";`);

    this.addSql(`alter table "order_item" add constraint "order_item_order_id_foreign" foreign key ("order_id") references "customer_order" ("id") on update cascade on delete cascade;`);
    this.addSql(`create index "order_item_workspace_id_index" on "order_item" ("workspace_id");`);

    this.addSql(`drop index "password_reset_token_hash_index";`);
    this.addSql(`alter table "password_reset" drop constraint "password_reset_workspace_id_id_unique";`);
    this.addSql(`alter table "password_reset" drop constraint "password_reset_workspace_id_token_hash_unique";`);

    this.addSql(`alter table "password_reset" add constraint "password_reset_user_id_foreign" foreign key ("user_id") references "user" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "password_reset" add constraint "password_reset_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "password_reset_workspace_id_index" on "password_reset" ("workspace_id");`);

    this.addSql(`drop index "session_token_hash_index";`);
    this.addSql(`alter table "session" drop constraint "session_workspace_id_id_unique";`);
    this.addSql(`alter table "session" drop constraint "session_workspace_id_token_hash_unique";`);

    this.addSql(`alter table "session" add constraint "session_user_id_foreign" foreign key ("user_id") references "user" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "session" add constraint "session_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "session_workspace_id_index" on "session" ("workspace_id");`);

    this.addSql(`alter table "tag" drop constraint "tag_workspace_id_id_unique";`);

    this.addSql(`create index "tag_workspace_id_index" on "tag" ("workspace_id");`);

    this.addSql(`alter table "user" drop constraint "user_workspace_id_id_unique";`);
    this.addSql(`alter table "user" drop constraint "user_workspace_id_email_unique";`);

    this.addSql(`alter table "user" add constraint "user_email_unique" unique ("email");`);
    this.addSql(`create index "user_workspace_id_index" on "user" ("workspace_id");`);
  }

}
