import { ArrayMaxSize, IsInt, IsOptional, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { IsNotBlank } from '../../../src/graphql/validation';
import { AssignmentRule, ChannelType, ReceptionMode } from '../entities/enums';
import { QuickReplyScope } from '../entities/quick-reply';

/** Inputs of the configuration side: service groups, channels, routing rules, quick replies, settings. */

export const MAX_GROUP_MEMBERS = 100;

@InputType({ description: 'A new service group 客服分组' })
export class ServiceGroupCreateInput {
  @Field({ description: 'Its name, unique in the workspace' })
  @IsNotBlank()
  @MaxLength(100)
  name!: string;

  @Field(() => AssignmentRule, { description: 'How the group picks the agent of a new conversation' })
  assignmentRule!: AssignmentRule;

  @Field({ defaultValue: false, description: '回头客优先: send a returning customer to the agent who last served them, when online and not full' })
  returningCustomerFirst!: boolean;

  @Field(() => [ID], { defaultValue: [], description: `The agents (User ids), in the group's order: positions 1, 2, 3…; each an active user who may serve conversations; at most ${MAX_GROUP_MEMBERS}` })
  @ArrayMaxSize(MAX_GROUP_MEMBERS)
  memberIds!: string[];
}

@InputType({ description: 'Changes to a service group; an absent field is left as it is (the last writer wins)' })
export class ServiceGroupUpdateInput {
  @Field(() => ID, { description: 'The group' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New name, unique in the workspace' })
  @IsOptional()
  @IsNotBlank()
  @MaxLength(100)
  name?: string | null;

  @Field(() => AssignmentRule, { nullable: true, description: 'New assignment rule' })
  @IsOptional()
  assignmentRule?: AssignmentRule | null;

  @Field(() => Boolean, { nullable: true, description: 'Turn returning-customer-first on or off' })
  @IsOptional()
  returningCustomerFirst?: boolean | null;

  @Field(() => [ID], { nullable: true, description: 'The members replaced, in this order (User ids; an empty list empties the group)' })
  @IsOptional()
  @ArrayMaxSize(MAX_GROUP_MEMBERS)
  memberIds?: string[] | null;
}

/** Texts a visitor or an agent receives automatically: a chat bubble, not an essay. */
export const MAX_AUTO_REPLY_LENGTH = 500;
/** A day: the longest wait or silence an auto-reply can be set to. */
export const MAX_AUTO_REPLY_SECONDS = 86_400;

@InputType({ description: 'The automatic replies of a channel; a null (or absent) text or delay turns that reply off' })
export class AutoReplySettingsInput {
  @Field(() => String, { nullable: true, description: `Sent when a conversation starts (at most ${MAX_AUTO_REPLY_LENGTH} characters)` })
  @IsOptional()
  @IsNotBlank()
  @MaxLength(MAX_AUTO_REPLY_LENGTH)
  greeting?: string | null;

  @Field(() => String, { nullable: true, description: 'Sent when the conversation starts outside business hours or when its group has nobody online' })
  @IsOptional()
  @IsNotBlank()
  @MaxLength(MAX_AUTO_REPLY_LENGTH)
  noAgentOnline?: string | null;

  @Field(() => Int, { nullable: true, description: `Seconds a visitor may wait in the queue before queueWaitMessage is sent (1 to ${MAX_AUTO_REPLY_SECONDS}); needs queueWaitMessage` })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_AUTO_REPLY_SECONDS)
  queueWaitSeconds?: number | null;

  @Field(() => String, { nullable: true, description: 'Sent to a visitor still waiting after queueWaitSeconds; needs queueWaitSeconds' })
  @IsOptional()
  @IsNotBlank()
  @MaxLength(MAX_AUTO_REPLY_LENGTH)
  queueWaitMessage?: string | null;

  @Field(() => Int, { nullable: true, description: `Seconds an agent may leave a visitor's message unanswered before being reminded (1 to ${MAX_AUTO_REPLY_SECONDS}); needs agentSilenceReminder` })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_AUTO_REPLY_SECONDS)
  agentSilenceSeconds?: number | null;

  @Field(() => String, { nullable: true, description: 'The reminder (an internal note to the agent); needs agentSilenceSeconds' })
  @IsOptional()
  @IsNotBlank()
  @MaxLength(MAX_AUTO_REPLY_LENGTH)
  agentSilenceReminder?: string | null;
}

@InputType({ description: "Opening hours of one weekday in the workspace's time zone; a weekday may have several ranges that do not overlap" })
export class BusinessHoursDayInput {
  @Field(() => Int, { description: 'ISO weekday: 1 Monday … 7 Sunday' })
  @IsInt()
  @Min(1)
  @Max(7)
  weekday!: number;

  @Field({ description: 'Opens at, HH:mm (00:00 to 23:59)' })
  @Matches(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'from must be a time HH:mm from 00:00 to 23:59' })
  from!: string;

  @Field({ description: 'Closes at, HH:mm, after `from`; 24:00 is midnight at the end of the day' })
  @Matches(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, { message: 'to must be a time HH:mm from 00:00 to 24:00' })
  to!: string;
}

export const MAX_BUSINESS_HOURS_RANGES = 50;

/** What channelCreate and channelUpdate set alike: the automatic replies and the business hours. */
// Decorated so that both inputs inherit the fields; never emitted itself, as no argument takes it.
@InputType()
abstract class ChannelSettingsInput {
  @Field(() => AutoReplySettingsInput, { nullable: true, description: 'Automatic replies, replaced as a whole; null: all off (absent: none at creation, unchanged on update)' })
  @IsOptional()
  @ValidateNested()
  autoReplies?: AutoReplySettingsInput | null;

  @Field(() => [BusinessHoursDayInput], {
    nullable: true,
    description: "Business hours in the workspace's time zone, replaced as a whole; null: always open (absent: always open at creation, unchanged on update); a weekday without a range is closed",
  })
  @IsOptional()
  @ArrayMaxSize(MAX_BUSINESS_HOURS_RANGES)
  @ValidateNested({ each: true })
  businessHours?: BusinessHoursDayInput[] | null;
}

@InputType({ description: 'A new channel' })
export class ChannelCreateInput extends ChannelSettingsInput {
  @Field({ description: 'Its name, unique in the workspace' })
  @IsNotBlank()
  @MaxLength(100)
  name!: string;

  @Field(() => ChannelType, { description: 'What kind of channel' })
  type!: ChannelType;

  @Field(() => ReceptionMode, { description: 'Who receives new conversations' })
  receptionMode!: ReceptionMode;

  @Field(() => ID, { description: 'The service group that serves its conversations unless a routing rule picks another' })
  defaultGroupId!: string;
}

@InputType({ description: 'Changes to a channel; an absent field is left as it is (the last writer wins). Its type and widget key do not change' })
export class ChannelUpdateInput extends ChannelSettingsInput {
  @Field(() => ID, { description: 'The channel' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New name, unique in the workspace' })
  @IsOptional()
  @IsNotBlank()
  @MaxLength(100)
  name?: string | null;

  @Field(() => ReceptionMode, { nullable: true, description: 'New reception mode' })
  @IsOptional()
  receptionMode?: ReceptionMode | null;

  @Field(() => ID, { nullable: true, description: 'New default service group' })
  @IsOptional()
  defaultGroupId?: string | null;
}

export const MAX_ROUTING_VALUES = 50;

@InputType({ description: 'What a routing rule matches: every condition given must hold; an absent or empty one matches anything' })
export class RoutingConditionsInput {
  @Field(() => [ID], { defaultValue: [], description: 'The conversation came in on one of these channels' })
  @ArrayMaxSize(MAX_ROUTING_VALUES)
  channelIds!: string[];

  @Field(() => [String], { defaultValue: [], description: "The visitor's search keyword contains one of these words (case-insensitive), e.g. 连衣裙" })
  @ArrayMaxSize(MAX_ROUTING_VALUES)
  @IsNotBlank({ each: true })
  @MaxLength(50, { each: true })
  sourceKeywords!: string[];

  @Field(() => String, { nullable: true, description: "The visitor's landing page contains this text (case-insensitive), e.g. /activity/double11" })
  @IsOptional()
  @IsNotBlank()
  @MaxLength(500)
  landingPageContains?: string | null;

  @Field(() => String, { nullable: true, description: 'The page the conversation was started from contains this text (case-insensitive)' })
  @IsOptional()
  @IsNotBlank()
  @MaxLength(500)
  originatingPageContains?: string | null;

  @Field(() => [String], { defaultValue: [], description: "The visitor's region begins with one of these (case-insensitive): 浙江 matches 浙江省杭州市" })
  @ArrayMaxSize(MAX_ROUTING_VALUES)
  @IsNotBlank({ each: true })
  @MaxLength(50, { each: true })
  regions!: string[];
}

@InputType({ description: 'A new routing rule 高级分配' })
export class RoutingRuleCreateInput {
  @Field({ description: 'Its name' })
  @IsNotBlank()
  @MaxLength(100)
  name!: string;

  @Field(() => Int, { description: 'Rules are tried in ascending position (0 to 1,000,000); rules at the same position in the order they were created' })
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  position!: number;

  @Field(() => RoutingConditionsInput, { description: 'What it matches' })
  @ValidateNested()
  conditions!: RoutingConditionsInput;

  @Field(() => ID, { description: 'The service group that matching conversations go to' })
  targetGroupId!: string;

  @Field({ defaultValue: true, description: 'Inactive rules are skipped' })
  active!: boolean;
}

@InputType({ description: 'Changes to a routing rule; an absent field is left as it is (the last writer wins)' })
export class RoutingRuleUpdateInput {
  @Field(() => ID, { description: 'The rule' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New name' })
  @IsOptional()
  @IsNotBlank()
  @MaxLength(100)
  name?: string | null;

  @Field(() => Int, { nullable: true, description: 'New position' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  position?: number | null;

  @Field(() => RoutingConditionsInput, { nullable: true, description: 'The conditions, replaced as a whole' })
  @IsOptional()
  @ValidateNested()
  conditions?: RoutingConditionsInput | null;

  @Field(() => ID, { nullable: true, description: 'New target group' })
  @IsOptional()
  targetGroupId?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Turn the rule on or off' })
  @IsOptional()
  active?: boolean | null;
}

@InputType({ description: 'The routing rule to delete' })
export class RoutingRuleDeleteInput {
  @Field(() => ID, { description: 'The rule' })
  id!: string;
}

export const MAX_RATING_TAGS = 30;

@InputType({ description: "Changes to the workspace's conversation settings; an absent field is left as it is" })
export class ConversationSettingsUpdateInput {
  @Field(() => [String], { nullable: true, description: `The rating tags visitors choose from, in the order shown (each at most 20 characters, at most ${MAX_RATING_TAGS})` })
  @IsOptional()
  @ArrayMaxSize(MAX_RATING_TAGS)
  @IsNotBlank({ each: true })
  @MaxLength(20, { each: true })
  ratingTags?: string[] | null;

  @Field(() => Int, { nullable: true, description: `Reassign a conversation after its agent leaves the visitor unanswered this many seconds (1 to ${MAX_AUTO_REPLY_SECONDS}); null: never` })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_AUTO_REPLY_SECONDS)
  reassignAfterSilenceSeconds?: number | null;
}

const SHORTCUT = /^\S{1,30}$/;
const SHORTCUT_MESSAGE = 'shortcut must be 1 to 30 characters without spaces, e.g. hello';

@InputType({ description: 'A new quick reply 快捷回复' })
export class QuickReplyCreateInput {
  @Field(() => QuickReplyScope, { defaultValue: QuickReplyScope.PERSONAL, description: "PERSONAL (the caller's own; conversations:write) or WORKSPACE (for everyone; conversations:manage)" })
  scope!: QuickReplyScope;

  @Field({ description: 'Its title' })
  @IsNotBlank()
  @MaxLength(100)
  title!: string;

  @Field({ description: 'The text inserted' })
  @IsNotBlank()
  @MaxLength(2000)
  content!: string;

  @Field(() => String, { nullable: true, description: 'Typed after "/" in the composer: 1 to 30 characters without spaces, stored lower-case, unique in its scope (the workspace\'s, or yours)' })
  @IsOptional()
  @Matches(SHORTCUT, { message: SHORTCUT_MESSAGE })
  shortcut?: string | null;

  @Field(() => String, { nullable: true, description: 'Category, e.g. 售前 or 物流' })
  @IsOptional()
  @IsNotBlank()
  @MaxLength(50)
  category?: string | null;
}

@InputType({ description: 'Changes to a quick reply; an absent field is left as it is, a null shortcut or category is cleared' })
export class QuickReplyUpdateInput {
  @Field(() => ID, { description: 'The quick reply' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New title' })
  @IsOptional()
  @IsNotBlank()
  @MaxLength(100)
  title?: string | null;

  @Field(() => String, { nullable: true, description: 'New text' })
  @IsOptional()
  @IsNotBlank()
  @MaxLength(2000)
  content?: string | null;

  @Field(() => String, { nullable: true, description: 'New shortcut; null removes it' })
  @IsOptional()
  @Matches(SHORTCUT, { message: SHORTCUT_MESSAGE })
  shortcut?: string | null;

  @Field(() => String, { nullable: true, description: 'New category; null removes it' })
  @IsOptional()
  @IsNotBlank()
  @MaxLength(50)
  category?: string | null;
}

@InputType({ description: 'The quick reply to delete' })
export class QuickReplyDeleteInput {
  @Field(() => ID, { description: 'The quick reply' })
  id!: string;
}
