import sanitizeHtml from 'sanitize-html';
import type { RequestContext, WriteTransaction } from '../../../src/context';
import { lockEntity, WORKSPACE, workspaceSql } from '../../../src/db/workspace-sql';
import { AppError } from '../../../src/graphql/errors';
import { tryFromGlobalId } from '../../../src/graphql/global-id';
import { UserErrorCode, UserInputFailure, validateInput } from '../../../src/graphql/user-errors';
import { Conversation, Message } from '../entities/conversation';
import { AuthorKind, ConversationStatus, MessageKind } from '../entities/enums';
import { CONVERSATION_EVENTS } from '../events';
import type { ConversationMarkReadInput, MessageSendInput } from '../graphql/message-inputs';
import { CONVERSATIONS_PERMISSIONS } from '../permissions';
import { awaitsAnswer, startSilenceTimers } from './timers';

/** The longest message content, in characters (the input's limit; sanitised HTML only gets shorter). */
export const MAX_MESSAGE_LENGTH = 5000;
/** The longest URL of an IMAGE or LINK message. */
export const MAX_URL_LENGTH = 2000;
/** An EMOJI message is a short code (`:smile:`) or up to this many emoji. */
const MAX_EMOJI = 8;
const EMOJI_SHORT_CODE = /^:[a-z0-9_+-]{1,40}:$/;
// Built at run time: TypeScript refuses the `v` flag (needed for \p{RGI_Emoji}) below an ES2024 target.
const ONE_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v');
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

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
  tx.emit(CONVERSATION_EVENTS.messageAdded, message.id, { conversationId: conversation.id, internal: internal ? 'true' : undefined, author: draft.authorKind });
  return message;
}

/**
 * A visitor's message (addMessage), and when their agent had nothing to answer before it, the agent-silence timers
 * start with it (timers.ts).
 */
export async function addVisitorMessage(tx: WriteTransaction, conversation: Conversation, draft: Pick<MessageDraft, 'kind' | 'content'>, now: Date): Promise<Message> {
  const waited = awaitsAnswer(conversation);
  const message = addMessage(tx, conversation, { authorKind: AuthorKind.VISITOR, ...draft }, now);
  if (!waited) await startSilenceTimers(tx, conversation, now);
  return message;
}

/*
 * RICH_TEXT keeps formatting and links, nothing that runs: sanitize-html (a maintained sanitiser, as the issue asks)
 * with a short list of tags, no attributes but a link's href and title, http(s) and mailto links only, and every
 * link opened without a handle on the widget's page (rel=noopener). Script, style and their content are dropped; so
 * are images (an image is an IMAGE message).
 */
const RICH_TEXT: sanitizeHtml.IOptions = {
  allowedTags: ['p', 'br', 'b', 'strong', 'i', 'em', 'u', 's', 'del', 'ul', 'ol', 'li', 'blockquote', 'code', 'pre', 'a'],
  allowedAttributes: { a: ['href', 'title', 'rel', 'target'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: {},
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  transformTags: { a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer nofollow', target: '_blank' }) },
};

/** An absolute http(s) URL, as the URL standard writes it; URL_INVALID otherwise. */
export function httpUrl(raw: string, field: string[]): string {
  let url: URL | undefined;
  try {
    url = new URL(raw.trim());
  } catch {
    // refused below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw UserInputFailure.of(field, 'must be an absolute http:// or https:// address', UserErrorCode.URL_INVALID);
  }
  if (url.href.length > MAX_URL_LENGTH) throw UserInputFailure.of(field, `must be at most ${MAX_URL_LENGTH} characters`, UserErrorCode.TOO_LONG);
  return url.href;
}

/** The content as it will be stored and shown, for its kind: trimmed text, sanitised HTML, a checked URL or emoji. */
export function contentOf(kind: MessageKind, raw: string): string {
  const field = ['input', 'content'];
  switch (kind) {
    case MessageKind.IMAGE:
    case MessageKind.LINK:
      return httpUrl(raw, field);
    case MessageKind.RICH_TEXT: {
      const clean = sanitizeHtml(raw, RICH_TEXT).trim();
      if (!clean) throw UserInputFailure.of(field, 'nothing is left once the HTML is sanitised', UserErrorCode.REQUIRED);
      return clean;
    }
    case MessageKind.EMOJI: {
      const text = raw.trim();
      const emoji = [...graphemes.segment(text)].map((s) => s.segment);
      if (EMOJI_SHORT_CODE.test(text) || (emoji.length <= MAX_EMOJI && emoji.every((e) => ONE_EMOJI.test(e)))) return text;
      throw UserInputFailure.of(field, `must be a short code such as :smile: or at most ${MAX_EMOJI} emoji`, UserErrorCode.INVALID);
    }
    default:
      return raw.trim();
  }
}

/**
 * The conversation locked FOR UPDATE (a message takes only this lock: README, lock order), if the caller may act on
 * it: staff with conversations:write on any of the workspace, a visitor on their own only. An unknown id, another
 * workspace's and another visitor's all answer NOT_FOUND, so a token learns nothing of conversations not its own.
 */
export async function lockConversation(tx: WriteTransaction, globalId: string, field = ['input', 'conversationId']): Promise<Conversation> {
  const id = tryFromGlobalId(globalId, 'Conversation');
  const conversation = id ? await lockEntity(tx, Conversation, id) : null;
  if (!conversation || !mayAct(tx.ctx, conversation)) throw UserInputFailure.of(field, 'No such conversation', UserErrorCode.NOT_FOUND);
  return conversation;
}

/** Staff with conversations:write write to any conversation of the workspace; a visitor to their own only. */
export function mayAct(ctx: RequestContext, conversation: Conversation): boolean {
  const guest = ctx.guest;
  if (guest) return guest.guest.type === 'Visitor' && conversation.visitor.id === guest.guest.id;
  return ctx.can(CONVERSATIONS_PERMISSIONS.write);
}

/** Who writes: the visitor of a guest token, else an agent (a user or an API key, as its creator). */
function authorOf(ctx: RequestContext, kind: MessageKind): Pick<MessageDraft, 'authorKind' | 'authorUserId'> {
  if (ctx.guest) {
    if (kind === MessageKind.NOTE) throw UserInputFailure.of(['input', 'kind'], 'Internal notes are for staff: a visitor cannot write one', UserErrorCode.NOT_ALLOWED);
    return { authorKind: AuthorKind.VISITOR };
  }
  if (!ctx.can(CONVERSATIONS_PERMISSIONS.write)) throw AppError.forbidden([CONVERSATIONS_PERMISSIONS.write]);
  return { authorKind: AuthorKind.AGENT, authorUserId: ctx.caller.userId };
}

/**
 * messageSend: an agent or the conversation's visitor writes a message. The conversation's row lock orders messages
 * from every instance (seq is taken under it); a closed conversation takes none (CONVERSATION_CLOSED), and on any
 * failure nothing is written.
 */
export async function sendMessage(ctx: RequestContext, input: MessageSendInput): Promise<Message> {
  await validateInput(input);
  const author = authorOf(ctx, input.kind);
  const content = contentOf(input.kind, input.content);
  return ctx.transaction(async (tx) => {
    const conversation = await lockConversation(tx, input.conversationId);
    if (conversation.status === ConversationStatus.CLOSED) {
      throw UserInputFailure.of(['input', 'conversationId'], 'The conversation is closed', UserErrorCode.CONVERSATION_CLOSED);
    }
    const now = new Date();
    const draft = { kind: input.kind, content };
    const message = author.authorKind === AuthorKind.VISITOR ? await addVisitorMessage(tx, conversation, draft, now) : addMessage(tx, conversation, { ...author, ...draft }, now);
    if (author.authorKind === AuthorKind.VISITOR) {
      await workspaceSql(tx)`update visitor set last_seen_at = ${now} where workspace_id = ${WORKSPACE} and id = ${conversation.visitor.id}`;
    }
    return message;
  });
}

/**
 * conversationMarkRead: the caller's side (the visitor's, or the agents') has read up to message `seq`. Read marks
 * only move forward: an older mark (receipts crossing on the wire) changes nothing and announces nothing.
 */
export async function markRead(ctx: RequestContext, input: ConversationMarkReadInput): Promise<Conversation> {
  return ctx.transaction(async (tx) => {
    const conversation = await lockConversation(tx, input.id, ['input', 'id']);
    if (!Number.isInteger(input.seq) || input.seq < 1) throw UserInputFailure.of(['input', 'seq'], 'seq must be a message number, from 1', UserErrorCode.TOO_SMALL);
    if (input.seq >= conversation.nextSeq) throw UserInputFailure.of(['input', 'seq'], 'The conversation has no message with this seq yet', UserErrorCode.TOO_LARGE);
    const side = ctx.guest ? 'visitorReadSeq' : 'agentReadSeq';
    if (input.seq > conversation[side]) {
      conversation[side] = input.seq;
      tx.emit(CONVERSATION_EVENTS.read, conversation.id, { reader: ctx.guest ? AuthorKind.VISITOR : AuthorKind.AGENT });
    }
    return conversation;
  });
}
