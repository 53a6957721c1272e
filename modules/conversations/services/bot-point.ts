import type { RequestContext } from '../../../src/context';
import { defineExtensionPoint } from '../../../src/kernel/extension-points';

/** What the bot is asked: one visitor message of a conversation it is answering. */
export interface BotQuestion {
  conversationId: string;
  customerId: string;
  channelId: string;
  /** The visitor's message, as stored. */
  message: string;
}

/** The bot's answer: messages to send as BOT (maybe none), and whether to hand the conversation to a human. */
export interface BotAnswer {
  replies: string[];
  handOver: boolean;
}

/**
 * The bot of BOT_FIRST channels 机器人优先: a single contribution (the knowledge module's knowledge-base bot). It is
 * asked in a system context inside the conversation's workspace, after the visitor's message committed (a reaction,
 * retried if it fails). Without a contribution, BOT_FIRST conversations go to a human at once.
 */
export interface ConversationBot {
  answer(ctx: RequestContext, question: BotQuestion): Promise<BotAnswer>;
}

export const CONVERSATION_BOT = defineExtensionPoint<ConversationBot>('conversations.bot', { many: false });

/** The contributed bot, or undefined (BOT_FIRST conversations then go to a human at once). */
export function botOf(ctx: RequestContext): ConversationBot | undefined {
  return ctx.app.registry.contributionsTo(CONVERSATION_BOT)[0];
}

