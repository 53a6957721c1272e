import type { WriteTransaction } from '../../../src/context';
import type { Conversation } from '../entities/conversation';
import { Message } from '../entities/conversation';
import { AuthorKind, MessageKind } from '../entities/enums';
import { CONVERSATION_EVENTS } from '../events';

/** A message about to be written: content already validated (and sanitised) for its kind. */
export interface MessageDraft {
  authorKind: AuthorKind;
  authorUserId?: string | null;
  kind: MessageKind;
  content: string;
}

/**
 * Appends a message to a conversation the caller has just created or holds locked: it takes the next seq (the
 * delivery order), moves the conversation's last-message times (and the first response time, for the first agent
 * answer), and announces it by conversations.messageAdded after commit.
 */
export function addMessage(tx: WriteTransaction, conversation: Conversation, draft: MessageDraft, now = new Date()): Message {
  const seq = conversation.nextSeq;
  conversation.nextSeq = seq + 1;
  const internal = draft.kind === MessageKind.NOTE;
  if (!internal) {
    conversation.lastMessageAt = now;
    if (draft.authorKind === AuthorKind.VISITOR) conversation.lastVisitorMessageAt = now;
    if (draft.authorKind === AuthorKind.AGENT) {
      conversation.lastAgentMessageAt = now;
      conversation.firstResponseAt ??= now;
    }
  }
  const message = tx.em.create(Message, { conversation, seq, createdAt: now, ...draft });
  tx.emit(CONVERSATION_EVENTS.messageAdded, message.id, { conversationId: conversation.id, internal: internal ? 'true' : undefined });
  return message;
}
