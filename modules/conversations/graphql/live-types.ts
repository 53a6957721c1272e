import { Field, ID, Int, ObjectType } from 'type-graphql';
import { LiveEvent } from '../../../src/graphql/subscriptions';
import { DateTimeScalar } from '../../../src/graphql/scalars';
import { Conversation, Message } from '../entities/conversation';
import { AuthorKind } from '../entities/enums';

@ObjectType({ implements: LiveEvent, description: 'A message was added to a conversation (messageAdded)' })
export class MessageEvent extends LiveEvent {
  @Field(() => Message, { nullable: true, description: 'The message, read when the event is sent (null if gone)' })
  message!: Message | null;
}

@ObjectType({ implements: LiveEvent, description: 'A conversation changed: started, queued, assigned, handed over, closed, reopened, escalated, rated or read (the topic says which)' })
export class ConversationEvent extends LiveEvent {
  @Field(() => Conversation, { nullable: true, description: 'The conversation as it is when the event is sent (null if gone)' })
  conversation!: Conversation | null;
}

@ObjectType({ description: "A service group's queue now" })
export class QueueSummary {
  @Field(() => Int, { description: 'Conversations waiting' })
  length!: number;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the longest-waiting one joined the queue; null when empty' })
  oldestQueuedAt!: Date | null;

  @Field(() => Int, { nullable: true, description: 'How long the longest-waiting one has waited, in seconds; null when empty' })
  longestWaitSeconds!: number | null;
}

@ObjectType({ implements: LiveEvent, description: "A service group's queue changed: a conversation joined it, was assigned in the group or closed (queueUpdated)" })
export class QueueEvent extends LiveEvent {
  @Field(() => Conversation, { nullable: true, description: 'The conversation that changed (null if gone)' })
  conversation!: Conversation | null;

  @Field(() => QueueSummary, { description: 'The queue when the event is sent' })
  queue!: QueueSummary;
}

@ObjectType({ description: 'Someone started or stopped typing in a conversation (ephemeral: not stored, not resumable)' })
export class TypingSignal {
  @Field(() => ID, { description: 'The conversation' })
  conversationId!: string;

  @Field({ description: 'true: typing; false: stopped' })
  typing!: boolean;

  @Field(() => AuthorKind, { description: 'Who: the VISITOR or an AGENT' })
  authorKind!: AuthorKind;

  @Field(() => String, { nullable: true, description: "The agent's display name; null for the visitor" })
  authorName!: string | null;

  @Field(() => DateTimeScalar, { description: 'When it was sent' })
  sentAt!: Date;
}
