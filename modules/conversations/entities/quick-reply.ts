import { Entity, Index, ManyToOne, Property, Unique } from '@mikro-orm/core';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { User } from '../../../src/auth';
import { WorkspaceScopedEntity } from '../../../src/db/base-entity';
import { Node } from '../../../src/graphql/node';

export enum QuickReplyScope {
  WORKSPACE = 'WORKSPACE',
  PERSONAL = 'PERSONAL',
}
registerEnumType(QuickReplyScope, {
  name: 'QuickReplyScope',
  description: 'Whose a quick reply is',
  valuesConfig: {
    WORKSPACE: { description: "The workspace's, for everyone; kept by managers (conversations:manage)" },
    PERSONAL: { description: "An agent's own, seen and changed by that agent only" },
  },
});

/** A standard phrase 服务用语 / quick reply: the workspace's (owner null, kept by managers) or an agent's own. */
@ObjectType({ implements: Node, description: 'A quick reply 快捷回复: a standard phrase of the workspace or an agent\'s own' })
@Entity()
@Index({ properties: ['workspace', 'owner', 'category'] })
// A shortcut is unique per owner scope (the workspace's replies, or one agent's), in any case: the index holds it
// against concurrent creates on any instance. The nil uuid stands for the workspace's scope, since NULLs are distinct.
@Index({
  name: 'quick_reply_shortcut_unique',
  expression: `create unique index "quick_reply_shortcut_unique" on "quick_reply" ("workspace_id", coalesce("owner_id", '00000000-0000-0000-0000-000000000000'), lower("shortcut")) where "shortcut" is not null`,
})
export class QuickReply extends WorkspaceScopedEntity {
  /** null: the workspace's, for everyone. */
  @ManyToOne(() => User, { nullable: true, deleteRule: 'cascade' })
  owner?: User | null;

  @Field({ description: 'Its title' })
  @Property({ length: 100 })
  title!: string;

  @Field({ description: 'The text inserted' })
  @Property({ type: 'text' })
  content!: string;

  @Field(() => String, { nullable: true, description: 'Typed after "/" in the composer to insert it, e.g. hello' })
  @Property({ length: 30, nullable: true })
  shortcut?: string | null;

  @Field(() => String, { nullable: true, description: 'Category, e.g. 售前 or 物流' })
  @Property({ length: 50, nullable: true })
  category?: string | null;
}

/** The workspace's conversation settings: one row, made with the defaults on the first change; until then a read gets the defaults. */
@ObjectType({ description: "The workspace's conversation settings" })
@Entity()
@Unique({ properties: ['workspace'] })
export class ConversationSettings extends WorkspaceScopedEntity<'ratingTags'> {
  @Field(() => [String], { description: 'The rating tags visitors choose from when they rate a conversation' })
  @Property({ type: 'text[]' })
  ratingTags: string[] = ['服务热情', '回复及时', '问题已解决', '专业耐心', '回复太慢', '问题未解决', '态度不好'];

  @Field(() => Int, { nullable: true, description: 'Reassign a conversation after the agent leaves the visitor unanswered this many seconds; null: never' })
  @Property({ type: 'int', nullable: true })
  reassignAfterSilenceSeconds?: number | null;
}
