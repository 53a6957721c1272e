import { Migration } from '@mikro-orm/migrations';

export class Migration20261125170707_Customers extends Migration {

  override async up(): Promise<void> {
    // Hand-added: the trigram operator class of the customer search indexes below (the entity diff cannot say it).
    this.addSql(`create extension if not exists pg_trgm;`);
    this.addSql(`create type "tag_group" as enum ('DEMOGRAPHIC', 'CONSUMPTION', 'PREFERENCE', 'PERSONALITY');`);
    this.addSql(`create type "tag_kind" as enum ('FACT', 'MODEL', 'MANUAL');`);
    this.addSql(`create type "customer_kind" as enum ('INDIVIDUAL', 'MERCHANT');`);
    this.addSql(`create type "gender" as enum ('FEMALE', 'MALE', 'UNDISCLOSED');`);
    this.addSql(`create type "personality_type" as enum ('FRIENDLY', 'DOMINANT', 'ANALYTICAL', 'SELF_CENTERED');`);
    this.addSql(`create type "behaviour_type" as enum ('DEMANDING', 'CONFUSED', 'AGITATED');`);
    this.addSql(`create type "assets_band" as enum ('UNDER_1M', 'FROM_1M_TO_10M', 'FROM_10M_TO_100M', 'OVER_100M');`);
    this.addSql(`create type "business_status" as enum ('OPERATING', 'SUSPENDED', 'CLOSED');`);
    this.addSql(`create type "membership_level" as enum ('REGULAR', 'SILVER', 'GOLD', 'DIAMOND');`);
    this.addSql(`create type "order_status" as enum ('PLACED', 'PAID', 'SHIPPED', 'DELIVERED', 'COMPLETED', 'CANCELLED', 'REFUNDED');`);
    this.addSql(`create type "follow_up_method" as enum ('PHONE', 'SMS', 'VISIT', 'WECHAT', 'EMAIL');`);
    this.addSql(`create table "tag" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "name" varchar(50) not null, "colour" varchar(7) not null, "group" "tag_group" not null, "kind" "tag_kind" not null, "description" varchar(500) null, constraint "tag_pkey" primary key ("id"));`);
    this.addSql(`create index "tag_workspace_id_index" on "tag" ("workspace_id");`);
    this.addSql(`alter table "tag" add constraint "tag_workspace_id_name_unique" unique ("workspace_id", "name");`);

    this.addSql(`create table "customer_number_counter" ("workspace_id" uuid not null, "value" bigint not null, constraint "customer_number_counter_pkey" primary key ("workspace_id"));`);

    this.addSql(`create table "customer" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "customer_no" varchar(20) not null, "kind" "customer_kind" not null, "name" varchar(100) not null, "nickname" varchar(100) null, "phone" varchar(20) null, "email" varchar(254) null, "province" varchar(50) null, "city" varchar(50) null, "birthday" date null, "birthday_month_day" varchar(5) null, "gender" "gender" null, "notes" text null, "personality_type" "personality_type" null, "behaviour_type" "behaviour_type" null, "shop_name" varchar(100) null, "location" varchar(200) null, "contact_phone" varchar(20) null, "founded_on" date null, "assets_band" "assets_band" null, "business_status" "business_status" null, "membership_level" "membership_level" null, "last_order_at" timestamptz null, "search_text" text not null, "erased_at" timestamptz null, "version" int not null default 1, constraint "customer_pkey" primary key ("id"));`);
    this.addSql(`create index "customer_workspace_id_index" on "customer" ("workspace_id");`);
    this.addSql(`create index "customer_email_trgm_index" on "customer" using gin ("email" gin_trgm_ops);`);
    this.addSql(`create index "customer_phone_trgm_index" on "customer" using gin ("phone" gin_trgm_ops);`);
    this.addSql(`create index "customer_search_text_trgm_index" on "customer" using gin ("search_text" gin_trgm_ops);`);
    this.addSql(`create index "customer_workspace_id_birthday_month_day_index" on "customer" ("workspace_id", "birthday_month_day");`);
    this.addSql(`create index "customer_workspace_id_last_order_at_id_index" on "customer" ("workspace_id", "last_order_at", "id");`);
    this.addSql(`create index "customer_workspace_id_created_at_id_index" on "customer" ("workspace_id", "created_at", "id");`);
    this.addSql(`alter table "customer" add constraint "customer_workspace_id_email_unique" unique ("workspace_id", "email");`);
    this.addSql(`alter table "customer" add constraint "customer_workspace_id_phone_unique" unique ("workspace_id", "phone");`);
    this.addSql(`alter table "customer" add constraint "customer_workspace_id_customer_no_unique" unique ("workspace_id", "customer_no");`);

    this.addSql(`create table "customer_order" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "customer_id" uuid not null, "order_no" varchar(64) not null, "platform" varchar(40) not null, "external_id" varchar(128) not null, "status" "order_status" not null, "total_amount" numeric(14,2) not null, "currency" varchar(3) not null, "placed_at" timestamptz not null, "paid_at" timestamptz null, "shipped_at" timestamptz null, "delivered_at" timestamptz null, constraint "customer_order_pkey" primary key ("id"));`);
    this.addSql(`create index "customer_order_workspace_id_index" on "customer_order" ("workspace_id");`);
    this.addSql(`create index "customer_order_customer_id_placed_at_index" on "customer_order" ("customer_id", "placed_at");`);
    this.addSql(`alter table "customer_order" add constraint "customer_order_workspace_id_platform_external_id_unique" unique ("workspace_id", "platform", "external_id");`);

    this.addSql(`create table "order_item" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "order_id" uuid not null, "sku" varchar(64) not null, "title" varchar(200) not null, "category" varchar(100) null, "brand" varchar(100) null, "quantity" int not null, "unit_price" numeric(14,2) not null, constraint "order_item_pkey" primary key ("id"));`);
    this.addSql(`create index "order_item_workspace_id_index" on "order_item" ("workspace_id");`);
    this.addSql(`create index "order_item_order_id_index" on "order_item" ("order_id");`);

    this.addSql(`create table "follow_up" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "customer_id" uuid not null, "author_user_id" uuid not null, "method" "follow_up_method" not null, "content" text not null, "outcome" text null, "happened_at" timestamptz not null, "next_follow_up_on" date null, "pending" boolean not null default false, constraint "follow_up_pkey" primary key ("id"));`);
    this.addSql(`create index "follow_up_workspace_id_index" on "follow_up" ("workspace_id");`);
    this.addSql(`create index "follow_up_workspace_id_pending_next_follow_up_on_index" on "follow_up" ("workspace_id", "pending", "next_follow_up_on");`);
    this.addSql(`create index "follow_up_customer_id_happened_at_index" on "follow_up" ("customer_id", "happened_at");`);

    this.addSql(`create table "customer_tag" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "customer_id" uuid not null, "tag_id" uuid not null, constraint "customer_tag_pkey" primary key ("id"));`);
    this.addSql(`create index "customer_tag_workspace_id_index" on "customer_tag" ("workspace_id");`);
    this.addSql(`create index "customer_tag_tag_id_index" on "customer_tag" ("tag_id");`);
    this.addSql(`alter table "customer_tag" add constraint "customer_tag_customer_id_tag_id_unique" unique ("customer_id", "tag_id");`);

    this.addSql(`create table "customer_external_id" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "customer_id" uuid not null, "platform" varchar(40) not null, "external_id" varchar(128) not null, constraint "customer_external_id_pkey" primary key ("id"));`);
    this.addSql(`create index "customer_external_id_workspace_id_index" on "customer_external_id" ("workspace_id");`);
    this.addSql(`create index "customer_external_id_customer_id_index" on "customer_external_id" ("customer_id");`);
    this.addSql(`alter table "customer_external_id" add constraint "customer_external_id_workspace_id_platform_external_id_unique" unique ("workspace_id", "platform", "external_id");`);

    this.addSql(`create table "consent_record" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workspace_id" uuid not null, "customer_id" uuid not null, "policy_version" varchar(40) not null, "marketing_consent" boolean not null, "consented_at" timestamptz not null, "channel" varchar(40) not null, constraint "consent_record_pkey" primary key ("id"));`);
    this.addSql(`create index "consent_record_workspace_id_index" on "consent_record" ("workspace_id");`);
    this.addSql(`create index "consent_record_customer_id_consented_at_index" on "consent_record" ("customer_id", "consented_at");`);

    this.addSql(`alter table "tag" add constraint "tag_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "customer_number_counter" add constraint "customer_number_counter_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "customer" add constraint "customer_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "customer_order" add constraint "customer_order_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "customer_order" add constraint "customer_order_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "order_item" add constraint "order_item_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "order_item" add constraint "order_item_order_id_foreign" foreign key ("order_id") references "customer_order" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "follow_up" add constraint "follow_up_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "follow_up" add constraint "follow_up_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "customer_tag" add constraint "customer_tag_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "customer_tag" add constraint "customer_tag_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "customer_tag" add constraint "customer_tag_tag_id_foreign" foreign key ("tag_id") references "tag" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "customer_external_id" add constraint "customer_external_id_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "customer_external_id" add constraint "customer_external_id_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "consent_record" add constraint "consent_record_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "consent_record" add constraint "consent_record_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "customer_tag" drop constraint "customer_tag_tag_id_foreign";`);

    this.addSql(`alter table "customer_order" drop constraint "customer_order_customer_id_foreign";`);

    this.addSql(`alter table "follow_up" drop constraint "follow_up_customer_id_foreign";`);

    this.addSql(`alter table "customer_tag" drop constraint "customer_tag_customer_id_foreign";`);

    this.addSql(`alter table "customer_external_id" drop constraint "customer_external_id_customer_id_foreign";`);

    this.addSql(`alter table "consent_record" drop constraint "consent_record_customer_id_foreign";`);

    this.addSql(`alter table "order_item" drop constraint "order_item_order_id_foreign";`);

    this.addSql(`drop table if exists "tag" cascade;`);

    this.addSql(`drop table if exists "customer_number_counter" cascade;`);

    this.addSql(`drop table if exists "customer" cascade;`);

    this.addSql(`drop table if exists "customer_order" cascade;`);

    this.addSql(`drop table if exists "order_item" cascade;`);

    this.addSql(`drop table if exists "follow_up" cascade;`);

    this.addSql(`drop table if exists "customer_tag" cascade;`);

    this.addSql(`drop table if exists "customer_external_id" cascade;`);

    this.addSql(`drop table if exists "consent_record" cascade;`);

    this.addSql(`drop type "tag_group";`);
    this.addSql(`drop type "tag_kind";`);
    this.addSql(`drop type "customer_kind";`);
    this.addSql(`drop type "gender";`);
    this.addSql(`drop type "personality_type";`);
    this.addSql(`drop type "behaviour_type";`);
    this.addSql(`drop type "assets_band";`);
    this.addSql(`drop type "business_status";`);
    this.addSql(`drop type "membership_level";`);
    this.addSql(`drop type "order_status";`);
    this.addSql(`drop type "follow_up_method";`);
  }

}
