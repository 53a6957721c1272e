import { Field, ID, ObjectType } from 'type-graphql';
import { MutationPayload } from '../../../src/graphql/user-errors';
import { Channel } from '../entities/channel';
import { ConversationSettings, QuickReply } from '../entities/quick-reply';
import { RoutingRule, ServiceGroup } from '../entities/service-group';

/** Payloads of the configuration side: service groups, channels, routing rules, quick replies, settings. */

@ObjectType({ description: 'Result of serviceGroupCreate and serviceGroupUpdate' })
export class ServiceGroupPayload extends MutationPayload {
  @Field(() => ServiceGroup, { nullable: true, description: 'The group as saved; null when userErrors is not empty' })
  serviceGroup?: ServiceGroup | null;
}

@ObjectType({ description: 'Result of channelCreate and channelUpdate' })
export class ChannelPayload extends MutationPayload {
  @Field(() => Channel, { nullable: true, description: 'The channel as saved; null when userErrors is not empty' })
  channel?: Channel | null;
}

@ObjectType({ description: 'Result of routingRuleCreate and routingRuleUpdate' })
export class RoutingRulePayload extends MutationPayload {
  @Field(() => RoutingRule, { nullable: true, description: 'The rule as saved; null when userErrors is not empty' })
  routingRule?: RoutingRule | null;
}

@ObjectType({ description: 'Result of routingRuleDelete' })
export class RoutingRuleDeletePayload extends MutationPayload {
  @Field(() => ID, { nullable: true, description: 'The id of the deleted rule; null when userErrors is not empty' })
  deletedRoutingRuleId?: string | null;
}

@ObjectType({ description: 'Result of conversationSettingsUpdate' })
export class ConversationSettingsPayload extends MutationPayload {
  @Field(() => ConversationSettings, { nullable: true, description: 'The settings as saved; null when userErrors is not empty' })
  conversationSettings?: ConversationSettings | null;
}

@ObjectType({ description: 'Result of quickReplyCreate and quickReplyUpdate' })
export class QuickReplyPayload extends MutationPayload {
  @Field(() => QuickReply, { nullable: true, description: 'The quick reply as saved; null when userErrors is not empty' })
  quickReply?: QuickReply | null;
}

@ObjectType({ description: 'Result of quickReplyDelete' })
export class QuickReplyDeletePayload extends MutationPayload {
  @Field(() => ID, { nullable: true, description: 'The id of the deleted quick reply; null when userErrors is not empty' })
  deletedQuickReplyId?: string | null;
}
