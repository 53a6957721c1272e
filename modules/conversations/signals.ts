import { defineSignal } from '../../src/kernel/signals';

/**
 * The ephemeral signals of conversations (src/kernel/signals.ts: never stored, lost when nobody listens), keyed by
 * the conversation's uuid. Typing is sent again while it lasts, so a lost one costs a moment's indicator.
 */
export const CONVERSATION_SIGNALS = {
  /** The visitor or an agent started or stopped typing; `name`: the agent's display name (small: a NOTIFY payload). */
  typing: defineSignal<{ typing: boolean; authorKind: string; name?: string }>('conversations.typing'),
};
