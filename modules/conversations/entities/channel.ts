import { Entity, Enum, Index, ManyToOne, Property, Unique } from '@mikro-orm/core';
import { Field, Int, ObjectType } from 'type-graphql';
import { WorkspaceScopedEntity } from '../../../src/db/base-entity';
import { Node } from '../../../src/graphql/node';
import { ChannelType, ReceptionMode } from './enums';
import { ServiceGroup } from './service-group';

@ObjectType({ description: 'Opening hours of one weekday, in the workspace\'s time zone' })
export class BusinessHoursDay {
  @Field(() => Int, { description: 'ISO weekday: 1 Monday … 7 Sunday' })
  weekday!: number;

  @Field({ description: 'Opens at, HH:mm' })
  from!: string;

  @Field({ description: 'Closes at, HH:mm (after `from`)' })
  to!: string;
}

@ObjectType({ description: 'The automatic replies of a channel 自动应答; a null text or delay means that reply is off' })
export class AutoReplySettings {
  @Field(() => String, { nullable: true, description: 'Sent when a conversation starts' })
  greeting?: string | null;

  @Field(() => String, { nullable: true, description: 'Sent when the conversation starts outside business hours or when its group has nobody online' })
  noAgentOnline?: string | null;

  @Field(() => Int, { nullable: true, description: 'Seconds a visitor may wait in the queue before queueWaitMessage is sent' })
  queueWaitSeconds?: number | null;

  @Field(() => String, { nullable: true, description: 'Sent to a visitor still waiting after queueWaitSeconds' })
  queueWaitMessage?: string | null;

  @Field(() => Int, { nullable: true, description: 'Seconds an agent may leave a visitor\'s message unanswered before the agent is reminded' })
  agentSilenceSeconds?: number | null;

  @Field(() => String, { nullable: true, description: 'The reminder (an internal note to the agent)' })
  agentSilenceReminder?: string | null;
}

/**
 * A channel 渠道 through which customers reach the shop: a widget on a web page, a WeChat account, a phone line, a
 * connector. Its reception mode decides whether the bot or a human receives new conversations, its default group
 * who serves them (unless a routing rule says otherwise), and its business hours when someone is expected to.
 */
@ObjectType({ implements: Node, description: 'A channel through which customers reach the shop' })
@Entity()
@Unique({ properties: ['workspace', 'name'] })
@Unique({ properties: ['workspace', 'widgetKey'] })
// The widget's key is looked up without a workspace (it is how the widget's workspace is learnt), like API keys.
@Index({ properties: ['widgetKey'] })
export class Channel extends WorkspaceScopedEntity<'autoReplies'> {
  @Field({ description: 'Its name, unique in the workspace' })
  @Property({ length: 100 })
  name!: string;

  @Field(() => ChannelType, { description: 'What kind of channel' })
  @Enum({ items: () => ChannelType, nativeEnumName: 'channel_type' })
  type!: ChannelType;

  @Field(() => ReceptionMode, { description: 'Whether the bot or a human receives new conversations' })
  @Enum({ items: () => ReceptionMode, nativeEnumName: 'reception_mode' })
  receptionMode!: ReceptionMode;

  @ManyToOne(() => ServiceGroup, { nullable: true, deleteRule: 'no action' })
  defaultGroup?: ServiceGroup;

  /**
   * The public key the chat widget embeds in the shop's pages (`wk_…`): it lets anyone start a conversation on
   * this channel, nothing else, so it is not a secret (shown to managers, never hashed).
   */
  @Property({ length: 40 })
  widgetKey!: string;

  @Field(() => AutoReplySettings, { description: 'Automatic replies' })
  @Property({ type: 'json' })
  autoReplies: AutoReplySettings = {};

  /** null: always open. */
  @Field(() => [BusinessHoursDay], { nullable: true, description: "Business hours per weekday in the workspace's time zone; null means always open, a missing weekday closed" })
  @Property({ type: 'json', nullable: true })
  businessHours?: BusinessHoursDay[] | null;
}
