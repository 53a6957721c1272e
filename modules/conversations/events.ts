import { defineEvent } from '../../src/kernel/events';

/**
 * The domain events of conversations, each written in the transaction of its change. The subject is the
 * conversation unless said otherwise; `groupId` and `agentId` (uuids) say which queue and which agent's list changed,
 * so that queueUpdated(groupId) and myAssignments filter on them without reading the conversation.
 */
export const CONVERSATION_EVENTS = {
  /** `visitorId`: the visitor's widget learns of a conversation an agent invited them into (visitorConversations). */
  started: defineEvent<{ channelId: string; customerId: string; visitorId: string }>('conversations.conversationStarted', { subjectType: 'Conversation' }),
  /** Joined its group's queue (on start, reopening, a transfer to a group, or when its agent went away); `previousAgentId`: the agent it left. */
  queued: defineEvent<{ groupId: string; previousAgentId?: string; previousGroupId?: string }>('conversations.conversationQueued', { subjectType: 'Conversation' }),
  /** Given to an agent; `previousAgentId` when it was taken from another (transfer, reassignment). */
  assigned: defineEvent<{ agentId: string; groupId?: string; previousAgentId?: string; previousGroupId?: string }>('conversations.conversationAssigned', { subjectType: 'Conversation' }),
  /** Handed from the bot to the queue. */
  handedOver: defineEvent('conversations.conversationHandedOver', { subjectType: 'Conversation' }),
  closed: defineEvent<{ agentId?: string; groupId?: string }>('conversations.conversationClosed', { subjectType: 'Conversation' }),
  reopened: defineEvent('conversations.conversationReopened', { subjectType: 'Conversation' }),
  escalated: defineEvent('conversations.conversationEscalated', { subjectType: 'Conversation' }),
  rated: defineEvent<{ agentId?: string }>('conversations.conversationRated', { subjectType: 'Conversation' }),
  /** A side read up to a message: refs.reader VISITOR or AGENT. */
  read: defineEvent<{ reader: string }>('conversations.conversationRead', { subjectType: 'Conversation' }),
  /**
   * subject: the message. NOTE messages carry internal 'true' so that visitors' subscriptions skip them unread;
   * `author` is the AuthorKind, so that reactions to visitors' messages are queued for those alone.
   */
  messageAdded: defineEvent<{ conversationId: string; internal?: string; author: string }>('conversations.messageAdded', { subjectType: 'Message' }),
  /** subject: the agent (User); status, capacity or load changed. */
  agentChanged: defineEvent('conversations.agentChanged', { subjectType: 'User' }),
};
