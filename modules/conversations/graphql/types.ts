import { Field, ObjectType } from 'type-graphql';
import { MutationPayload } from '../../../src/graphql/user-errors';
import { AgentState } from '../entities/agent';
import { Conversation } from '../entities/conversation';

@ObjectType({ description: 'Result of conversationStart' })
export class ConversationStartPayload extends MutationPayload {
  @Field(() => Conversation, { nullable: true, description: 'The conversation (the open one of this visitor on the channel, continued, if there was one)' })
  conversation?: Conversation | null;

  @Field(() => String, { nullable: true, description: "The visitor's token (`gt_…`, 30 days): send it as `Authorization: Bearer …` to write to and follow this visitor's conversations, and nothing else" })
  visitorToken?: string | null;
}

@ObjectType({ description: 'Result of a change to a conversation' })
export class ConversationPayload extends MutationPayload {
  @Field(() => Conversation, { nullable: true, description: 'The conversation as changed; null when userErrors is not empty' })
  conversation?: Conversation | null;
}

@ObjectType({ description: "Result of a change to an agent's status or capacity" })
export class AgentStatePayload extends MutationPayload {
  @Field(() => AgentState, { nullable: true, description: "The agent's state as changed; null when userErrors is not empty" })
  agentState?: AgentState | null;
}
