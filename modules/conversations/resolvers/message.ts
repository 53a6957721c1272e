import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { User, userById } from '../../../src/auth';
import type { RequestContext } from '../../../src/context';
import { Connection, type ConnectionShape } from '../../../src/graphql/connection';
import { mutationPayload } from '../../../src/graphql/user-errors';
import { Conversation, Message } from '../entities/conversation';
import { AuthorKind } from '../entities/enums';
import { ConversationMarkReadInput, MessageSendInput } from '../graphql/message-inputs';
import { MESSAGE_SORT, MessageSendPayload } from '../graphql/message-types';
import { ConversationPayload } from '../graphql/types';
import { markRead, sendMessage } from '../services/messages';
import { messagesOfConversation } from '../services/nested-lists';

const MessageConnection = Connection(Message);

@Resolver(() => Message)
export class MessageResolver {
  // @Authorized(): agents (conversations:write, checked in the service) and visitors (their guest token) both send.
  @Authorized()
  @Mutation(() => MessageSendPayload, {
    description: "Send a message: an agent (conversations:write) to any conversation, a visitor (their token) to their own; NOTE is internal, for staff only. CONVERSATION_CLOSED when the conversation is closed",
  })
  messageSend(@Arg('input', { description: 'The conversation, the kind and the content' }) input: MessageSendInput, @Ctx() ctx: RequestContext): Promise<MessageSendPayload> {
    return mutationPayload(MessageSendPayload, async () => ({ message: await sendMessage(ctx, input) }));
  }

  @Authorized()
  @Mutation(() => ConversationPayload, { description: "Mark the conversation read up to a message, for the caller's side: its visitor (their token) or the agents (conversations:write). Marks only move forward" })
  conversationMarkRead(@Arg('input', { description: 'The conversation and the last message read' }) input: ConversationMarkReadInput, @Ctx() ctx: RequestContext): Promise<ConversationPayload> {
    return mutationPayload(ConversationPayload, async () => ({ conversation: await markRead(ctx, input) }));
  }

  @FieldResolver(() => User, { nullable: true, description: 'The agent who wrote it (AGENT messages; needs the right to read users)' })
  author(@Root() message: Message, @Ctx() ctx: RequestContext): Promise<User | null> | null {
    return message.authorKind === AuthorKind.AGENT && message.authorUserId ? userById(ctx).load(message.authorUserId) : null;
  }

  @FieldResolver(() => String, { nullable: true, description: "The agent's display name, for the visitor's widget (visitors cannot read users); null for other authors" })
  async authorName(@Root() message: Message, @Ctx() ctx: RequestContext): Promise<string | null> {
    if (message.authorKind !== AuthorKind.AGENT || !message.authorUserId) return null;
    return (await userById(ctx).load(message.authorUserId))?.displayName ?? null;
  }
}

/** Conversation's fields of messages (kept apart from resolvers/conversation.ts: merges). */
@Resolver(() => Conversation)
export class ConversationMessagesResolver {
  @FieldResolver(() => MessageConnection, { description: 'Messages in delivery order (seq); a visitor never sees internal notes' })
  messages(@Root() conversation: Conversation, @Args(() => MESSAGE_SORT.Args) args: InstanceType<typeof MESSAGE_SORT.Args>, @Ctx() ctx: RequestContext): Promise<ConnectionShape<Message>> {
    return messagesOfConversation(ctx, conversation.id, args);
  }
}
