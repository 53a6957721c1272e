import { lockEntity } from '../../../src/db/workspace-sql';
import type { RequestContext, WriteTransaction } from '../../../src/context';
import { onEvent } from '../../../src/kernel/module';
import { Channel } from '../entities/channel';
import { Conversation, Message } from '../entities/conversation';
import { AuthorKind, ConversationStatus, MessageKind } from '../entities/enums';
import { CONVERSATION_EVENTS } from '../events';
import { momentOf } from './agents';
import { addMessage } from './messages';
import { botOf, CONVERSATION_BOT } from './bot-point';
import { route } from './intake';
import { lockForChange } from './lifecycle';

/**
 * Hands a BOT conversation over to the queue: routed to its group, assigned or queued, announced by
 * conversationHandedOver. The caller holds the conversation's row lock, and route then locks the group: the reverse of
 * the README's order, safe here because no transaction that holds a group's lock waits for a conversation outside
 * that group, and a BOT conversation is in none until this commits.
 */
export async function handOver(tx: WriteTransaction, conversation: Conversation): Promise<void> {
  const channel = await tx.em.findOneOrFail(Channel, conversation.channel.id);
  tx.emit(CONVERSATION_EVENTS.handedOver, conversation.id);
  await route(tx, conversation, channel, await momentOf(tx));
}

/** The visitor (the widget's "转人工" button) or staff ask for a human: a BOT conversation joins the queue now. */
export async function requestHuman(ctx: RequestContext, globalId: string): Promise<Conversation> {
  return ctx.transaction(async (tx) => {
    const { conversation } = await lockForChange(tx, globalId);
    if (conversation.status === ConversationStatus.BOT) await handOver(tx, conversation);
    return conversation;
  });
}

/** Asks the bot about each visitor message of a BOT conversation; writes its replies; hands over when it says so. */
export const botReactions = [
  onEvent(CONVERSATION_EVENTS.messageAdded, 'botAnswer', async (ctx, event) => {
    const bot = botOf(ctx);
    const message = await ctx.em.findOne(Message, event.subjectId);
    if (!bot || !message) return;
    const conversation = await ctx.em.findOne(Conversation, event.refs.conversationId!);
    if (conversation?.status !== ConversationStatus.BOT) return;
    const answer = await bot.answer(ctx, { conversationId: conversation.id, customerId: conversation.customer.id, channelId: conversation.channel.id, message: message.content });
    await ctx.transaction(async (tx) => {
      const locked = (await lockEntity(tx, Conversation, conversation.id))!;
      // Run twice (a retry after a commit), or overtaken by a handover: answer once, only while the bot holds it.
      if (locked.status !== ConversationStatus.BOT) return;
      const answered = await tx.em.count(Message, { conversation: locked, authorKind: AuthorKind.BOT, seq: { $gt: message.seq } });
      if (answered) return;
      for (const reply of answer.replies) addMessage(tx, locked, { authorKind: AuthorKind.BOT, kind: MessageKind.TEXT, content: reply });
      if (answer.handOver) await handOver(tx, locked);
    });
  }, {
    // Queued for visitors' messages only, and only on a server with a bot.
    when: (event, registry) => event.refs.author === AuthorKind.VISITOR && registry.contributionsTo(CONVERSATION_BOT).length > 0,
  }),
];
