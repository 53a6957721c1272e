import { IsOptional, Max, MaxLength, Min } from 'class-validator';
import { ArgsType, Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { defineSort, SortDirection } from '../../../src/graphql/connection';
import { DateTimeScalar, LocalDateScalar } from '../../../src/graphql/scalars';
import { IsNotBlank } from '../../../src/graphql/validation';
import { AgentStatus, ConversationStatus } from '../entities/enums';

/** Conversation lists (a customer's history, the search): newest first. */
export const CONVERSATION_SORT = defineSort('Conversation', {
  CREATED_AT: { property: 'createdAt', type: 'timestamp', direction: SortDirection.DESC, description: 'When it was started' },
}, 'CREATED_AT');

@ArgsType()
export class CustomerConversationsArgs extends CONVERSATION_SORT.Args {}

/** A group's waiting conversations in queue order: who is next first. */
export const QUEUE_SORT = defineSort('QueuedConversation', {
  QUEUED_AT: { property: 'queuedAt', type: 'timestamp', direction: SortDirection.ASC, description: 'When it joined the queue (the queue order)' },
}, 'QUEUED_AT');

@ArgsType()
export class QueueWaitingArgs extends QUEUE_SORT.Args {}

@ObjectType({ description: "A service group's queue now: how many wait, for how long, and who is next" })
export class GroupQueue {
  /** The group's uuid. */
  groupId!: string;

  /** The uuid of the conversation waiting longest, if any. */
  oldestWaitingId?: string | null;

  @Field(() => Int, { description: 'Conversations waiting (QUEUED)' })
  length!: number;

  @Field(() => Int, { nullable: true, description: 'Seconds the longest-waiting conversation has waited; null when nobody waits' })
  longestWaitSeconds?: number | null;
}

@ObjectType({ description: "An agent's workload: now (status, load, capacity, handled today) and averages over a period" })
export class AgentWorkload {
  /** The agent's uuid. */
  agentId!: string;

  @Field(() => AgentStatus, { description: 'Whether the agent takes new conversations' })
  status!: AgentStatus;

  @Field(() => Int, { description: 'Conversations the agent is serving now' })
  activeCount!: number;

  @Field(() => Int, { description: 'How many conversations the agent may serve at once' })
  capacity!: number;

  @Field(() => Int, { description: "Conversations given to the agent today (the workspace's time zone), as FILL_UP counts them" })
  handledToday!: number;

  @Field(() => Float, { nullable: true, description: "Average seconds from being given a conversation to the agent's first answer in it, over assignments made in the period and answered; null when none" })
  avgFirstResponseSeconds?: number | null;

  @Field(() => Float, { nullable: true, description: 'Average seconds from being given a conversation to closing it or passing it on, over assignments that ended in the period; null when none' })
  avgHandlingSeconds?: number | null;

  @Field(() => Float, { nullable: true, description: 'Average satisfaction score (1–5) of the conversations the agent served that were rated in the period; null when none' })
  avgRating?: number | null;

  @Field(() => Int, { description: 'How many ratings avgRating is the average of' })
  ratingCount!: number;
}

@ArgsType()
export class AgentWorkloadArgs {
  @Field(() => DateTimeScalar, { nullable: true, description: "Start of the period the averages cover (up to now); the start of today in the workspace's time zone when not given" })
  since?: Date | null;
}

@InputType({ description: 'Conditions a conversation must meet, all of them (conversation records by condition)' })
export class ConversationFilter {
  @Field(() => ID, { nullable: true, description: 'Started on this channel' })
  @IsOptional()
  channelId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Given at some point to this agent (a user), transfers included' })
  @IsOptional()
  agentId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Routed to (or transferred to) this service group: its group now' })
  @IsOptional()
  groupId?: string | null;

  @Field(() => [ConversationStatus], { nullable: true, description: 'In one of these statuses' })
  @IsOptional()
  status?: ConversationStatus[] | null;

  @Field(() => Boolean, { nullable: true, description: 'true: served by a human agent; false: by the bot alone (or by nobody)' })
  @IsOptional()
  humanServed?: boolean | null;

  @Field(() => Int, { nullable: true, description: 'Rated at least this score (1–5); with ratingMax equal to it, exactly this score' })
  @IsOptional()
  @Min(1)
  @Max(5)
  ratingMin?: number | null;

  @Field(() => Int, { nullable: true, description: 'Rated at most this score (1–5)' })
  @IsOptional()
  @Min(1)
  @Max(5)
  ratingMax?: number | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Started at or after this instant' })
  @IsOptional()
  createdAfter?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Started before this instant' })
  @IsOptional()
  createdBefore?: Date | null;

  @Field(() => String, { nullable: true, description: 'A message of it contains this text (any case; internal notes included)' })
  @IsOptional()
  @IsNotBlank()
  @MaxLength(100)
  text?: string | null;
}

@ArgsType()
export class ConversationsArgs extends CONVERSATION_SORT.Args {
  @Field(() => ConversationFilter, { nullable: true, description: 'Only conversations meeting every condition given' })
  filter?: ConversationFilter | null;
}

/** The longest period visitorCounts covers at once. */
export const MAX_COUNT_DAYS = 366;

@ArgsType()
export class VisitorCountsArgs {
  @Field(() => LocalDateScalar, { description: "The first day (the workspace's time zone)" })
  from!: string;

  @Field(() => LocalDateScalar, { description: `The last day, included; at most ${MAX_COUNT_DAYS} days after from` })
  to!: string;
}

@ObjectType({ description: "Visitors and conversations of one channel on one day (the workspace's time zone)" })
export class VisitorCount {
  /** The channel's uuid. */
  channelId!: string;

  @Field(() => LocalDateScalar, { description: 'The day' })
  date!: string;

  @Field(() => Int, { description: 'Distinct visitors who viewed a page or started a conversation on the channel that day' })
  visitors!: number;

  @Field(() => Int, { description: 'Conversations started on the channel that day' })
  conversations!: number;
}
