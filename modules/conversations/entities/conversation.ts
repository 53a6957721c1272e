import { Entity, Enum, Index, ManyToOne, Property, Unique } from '@mikro-orm/core';
import { Field, Int, ObjectType } from 'type-graphql';
import { User } from '../../../src/auth';
import { WorkspaceScopedEntity } from '../../../src/db/base-entity';
import { Node } from '../../../src/graphql/node';
import { DateTimeScalar } from '../../../src/graphql/scalars';
import { Customer } from '../../customers';
import { Channel } from './channel';
import { AssignedBy, AuthorKind, ConversationStatus, MessageKind } from './enums';
import { ServiceGroup } from './service-group';
import { Visitor, VisitorContext } from './visitor';

/**
 * A conversation 会话 between a customer and the shop on one channel: BOT → QUEUED → ACTIVE → CLOSED (reopen goes
 * back to the queue). Status, group, assignee and the queue order (queuedAt) change only in services/assignment.ts
 * and services/lifecycle.ts, under the locks described there.
 */
@ObjectType({ implements: Node, description: 'A conversation 会话 with a customer on one channel' })
@Entity()
@Index({ properties: ['workspace', 'status', 'group', 'queuedAt', 'id'] })
@Index({ properties: ['workspace', 'assignee', 'status'] })
@Index({ properties: ['workspace', 'customer', 'createdAt'] })
@Index({ properties: ['workspace', 'createdAt', 'id'] })
@Index({ properties: ['workspace', 'visitor'] })
// The wait estimate's sample: a group's latest closed conversations (loaders/conversation.ts, estimatedWaitOf).
@Index({ properties: ['workspace', 'group', 'closedAt'] })
export class Conversation extends WorkspaceScopedEntity<'context' | 'nextSeq' | 'visitorReadSeq' | 'agentReadSeq' | 'humanServed' | 'escalated'> {
  @ManyToOne(() => Channel, { deleteRule: 'no action' })
  channel!: Channel;

  @ManyToOne(() => Visitor, { deleteRule: 'no action' })
  visitor!: Visitor;

  @ManyToOne(() => Customer, { deleteRule: 'no action' })
  customer!: Customer;

  @Field(() => ConversationStatus, { description: 'Where the conversation stands' })
  @Enum({ items: () => ConversationStatus, nativeEnumName: 'conversation_status' })
  status!: ConversationStatus;

  @ManyToOne(() => ServiceGroup, { nullable: true, deleteRule: 'no action' })
  group?: ServiceGroup | null;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'no action' })
  assignee?: User | null;

  /** The last agent who served it (kept after closing): ratings go to them, returning customers come back to them. */
  @ManyToOne(() => User, { nullable: true, deleteRule: 'no action' })
  servedBy?: User | null;

  @Field(() => VisitorContext, { description: 'Where the visitor came from when the conversation started' })
  @Property({ type: 'json' })
  context: VisitorContext = {};

  /** The queue's order: arrival in the queue (the first time, or the reopening); null when not queued. */
  @Field(() => DateTimeScalar, { nullable: true, description: 'When it joined the queue; null when not waiting' })
  @Property({ type: 'timestamptz', nullable: true })
  queuedAt?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When its current agent got it' })
  @Property({ type: 'timestamptz', nullable: true })
  assignedAt?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: "When an agent first answered (first response time = this − the first assignment)" })
  @Property({ type: 'timestamptz', nullable: true })
  firstResponseAt?: Date | null;

  /** When it was first given to an agent: start of the first response time and of the handling time. */
  @Property({ type: 'timestamptz', nullable: true })
  firstAssignedAt?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the last message was written' })
  @Property({ type: 'timestamptz', nullable: true })
  lastMessageAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  lastVisitorMessageAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  lastAgentMessageAt?: Date | null;

  /** The seq the next message gets: messages are numbered 1, 2, 3… per conversation, in delivery order. */
  @Property()
  nextSeq: number = 1;

  @Field(() => Int, { description: 'The seq of the last message the visitor has read (0: none)' })
  @Property()
  visitorReadSeq: number = 0;

  @Field(() => Int, { description: 'The seq of the last message the agents have read (0: none)' })
  @Property()
  agentReadSeq: number = 0;

  @Field({ description: 'A human agent has served it (false: the bot alone)' })
  @Property()
  humanServed: boolean = false;

  @Field({ description: 'Escalated to a manager' })
  @Property()
  escalated: boolean = false;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When it was closed' })
  @Property({ type: 'timestamptz', nullable: true })
  closedAt?: Date | null;

  @Field(() => Int, { nullable: true, description: 'Satisfaction 满意度 the visitor gave, 1–5' })
  @Property({ type: 'smallint', nullable: true })
  ratingScore?: number | null;

  @Field(() => [String], { nullable: true, description: "Rating tags the visitor chose, from the workspace's list" })
  @Property({ type: 'text[]', nullable: true })
  ratingTags?: string[] | null;

  @Field(() => String, { nullable: true, description: "The visitor's comment with the rating" })
  @Property({ type: 'text', nullable: true })
  ratingComment?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When it was rated' })
  @Property({ type: 'timestamptz', nullable: true })
  ratedAt?: Date | null;
}

/**
 * One message, numbered by `seq` in its conversation (the delivery order). NOTE messages are internal: staff only.
 * Content is stored as it will be shown: RICH_TEXT already sanitised, IMAGE and LINK validated URLs.
 */
@ObjectType({ implements: Node, description: 'A message of a conversation' })
@Entity()
@Unique({ properties: ['workspace', 'conversation', 'seq'] })
@Index({ name: 'message_content_trgm_index', expression: 'create index "message_content_trgm_index" on "message" using gin ("content" gin_trgm_ops)' })
export class Message extends WorkspaceScopedEntity {
  @ManyToOne(() => Conversation, { deleteRule: 'cascade' })
  conversation!: Conversation;

  @Field(() => Int, { description: 'Its number in the conversation, from 1, in delivery order' })
  @Property()
  seq!: number;

  @Field(() => AuthorKind, { description: 'Who wrote it' })
  @Enum({ items: () => AuthorKind, nativeEnumName: 'message_author_kind' })
  authorKind!: AuthorKind;

  /** The agent who wrote it (AGENT); no foreign key: messages outlive users. */
  @Property({ type: 'uuid', nullable: true })
  authorUserId?: string | null;

  @Field(() => MessageKind, { description: 'What it holds' })
  @Enum({ items: () => MessageKind, nativeEnumName: 'message_kind' })
  kind!: MessageKind;

  @Field({ description: 'Text, sanitised HTML (RICH_TEXT), a URL (IMAGE, LINK) or an emoji code' })
  @Property({ type: 'text' })
  content!: string;
}

@ObjectType({ description: 'An agent considered by an assignment, with what the rule compared' })
export class AssignmentCandidate {
  /** User uuid. */
  agentId!: string;

  @Field(() => Int, { nullable: true, description: "Position in the group's order" })
  position?: number | null;

  @Field(() => Int, { description: 'Conversations in progress when the rule ran' })
  activeCount!: number;

  @Field(() => Int, { description: 'Capacity' })
  capacity!: number;

  @Field(() => Int, { description: 'Conversations handled today when the rule ran' })
  handledToday!: number;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the agent came online' })
  onlineSince?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the agent was last given a conversation' })
  lastAssignedAt?: Date | null;
}

@ObjectType({ description: 'Why an agent got a conversation: the rule, the agents it considered, and how a tie was broken' })
export class AssignmentReason {
  @Field({ description: 'In a sentence, e.g. "LEAST_LOAD: 2 in progress, fewest of 3 online agents with room"' })
  summary!: string;

  @Field(() => [AssignmentCandidate], { description: 'The online agents with room that the rule compared (empty for a transfer or invitation)' })
  candidates!: AssignmentCandidate[];

  @Field(() => String, { nullable: true, description: 'How a tie was broken, if there was one' })
  tieBreak?: string | null;
}

/** Who got a conversation, by which rule and why: the explainable queue. One row per assignment; endedAt when it ended. */
@ObjectType({ implements: Node, description: 'An assignment of a conversation to an agent, with the rule and the reason' })
@Entity()
@Index({ properties: ['workspace', 'conversation', 'createdAt'] })
@Index({ properties: ['workspace', 'agent', 'createdAt'] })
export class Assignment extends WorkspaceScopedEntity {
  @ManyToOne(() => Conversation, { deleteRule: 'cascade' })
  conversation!: Conversation;

  @ManyToOne(() => User, { deleteRule: 'no action' })
  agent!: User;

  @ManyToOne(() => ServiceGroup, { nullable: true, deleteRule: 'no action' })
  group?: ServiceGroup | null;

  @Field(() => AssignedBy, { description: 'What chose the agent' })
  @Enum({ items: () => AssignedBy, nativeEnumName: 'assigned_by' })
  rule!: AssignedBy;

  @Field(() => AssignmentReason, { description: 'Why this agent' })
  @Property({ type: 'json' })
  reason!: AssignmentReason;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When it ended (closed, transferred, reassigned); null while current' })
  @Property({ type: 'timestamptz', nullable: true })
  endedAt?: Date | null;
}
