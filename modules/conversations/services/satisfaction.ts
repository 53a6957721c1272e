import { lockEntity } from '../../../src/db/workspace-sql';
import type { RequestContext } from '../../../src/context';
import { tryFromGlobalId } from '../../../src/graphql/global-id';
import { UserError, UserErrorCode, UserInputFailure, validateInput } from '../../../src/graphql/user-errors';
import { Conversation } from '../entities/conversation';
import { ConversationStatus } from '../entities/enums';
import { CONVERSATION_EVENTS } from '../events';
import type { ConversationRateInput } from '../graphql/rating';
import { CONVERSATIONS_PERMISSIONS } from '../permissions';
import { conversationSettingsOf } from './settings';

/**
 * Who may rate: the conversation's visitor (their guest token), or staff with conversations:write recording the
 * rating the visitor gave them another way (a phone survey, a WeChat reply), but never the agent who served it,
 * whose own figures the rating feeds (agentWorkload's average rating).
 */
function mayRate(ctx: RequestContext, conversation: Conversation): UserError | undefined {
  const guest = ctx.guest;
  if (guest) return guest.guest.type === 'Visitor' && guest.guest.id === conversation.visitor.id ? undefined : notFound();
  if (!ctx.can(CONVERSATIONS_PERMISSIONS.write)) return notFound();
  if (ctx.caller.userId && ctx.caller.userId === conversation.servedBy?.id) {
    return UserError.of(['input', 'id'], 'The agent who served a conversation cannot record its rating', UserErrorCode.NOT_ALLOWED);
  }
  return undefined;
}

const notFound = () => UserError.of(['input', 'id'], 'No such conversation', UserErrorCode.NOT_FOUND);

/**
 * conversationRate: satisfaction 满意度 for a CLOSED conversation, once (a second rating is ALREADY_DONE, even after
 * a reopening and a new close: a conversation has one rating). The score goes to the agent who served it
 * (servedBy) through conversations.conversationRated { agentId }. The conversation's row is locked, so two ratings
 * sent at once (two tabs, the visitor and a phone survey) make one and ALREADY_DONE.
 */
export async function rateConversation(ctx: RequestContext, input: ConversationRateInput): Promise<Conversation> {
  await validateInput(input);
  return ctx.transaction(async (tx) => {
    const id = tryFromGlobalId(input.id, 'Conversation');
    const conversation = id ? await lockEntity(tx, Conversation, id) : null;
    const refused = conversation ? mayRate(ctx, conversation) : notFound();
    if (refused || !conversation) throw new UserInputFailure([refused ?? notFound()]);
    if (conversation.ratedAt) throw UserInputFailure.of(['input', 'id'], 'The conversation has been rated already', UserErrorCode.ALREADY_DONE);
    if (conversation.status !== ConversationStatus.CLOSED) {
      throw UserInputFailure.of(['input', 'id'], 'A conversation is rated once it is closed', UserErrorCode.NOT_ALLOWED);
    }
    const tags = (input.tags ?? []).map((tag) => tag.trim());
    const known = new Set((await conversationSettingsOf(tx)).ratingTags);
    const problems = tags.flatMap((tag, i) => {
      if (tags.indexOf(tag) < i) return [UserError.of(['input', 'tags', String(i)], `${tag} is given twice`, UserErrorCode.DUPLICATE)];
      if (!known.has(tag)) return [UserError.of(['input', 'tags', String(i)], `${tag} is not one of the workspace's rating tags`, UserErrorCode.NOT_FOUND)];
      return [];
    });
    if (problems.length) throw new UserInputFailure(problems);
    const comment = input.comment?.trim() || null;
    tx.em.assign(conversation, { ratingScore: input.score, ratingTags: tags, ratingComment: comment, ratedAt: new Date() });
    const agentId = conversation.servedBy?.id;
    tx.audit({
      action: 'conversations.conversation.rate', subjectType: 'Conversation', subjectId: conversation.id,
      // Whether there is a comment, not its text: an erasure reaches the conversation, never the audit log.
      changes: { score: input.score, tags, commented: comment !== null, agentId: agentId ?? null },
    });
    tx.emit(CONVERSATION_EVENTS.rated, conversation.id, { agentId });
    return conversation;
  });
}
