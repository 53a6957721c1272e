import { randomBytes } from 'node:crypto';
import type { RequestContext } from '../../../src/context';
import { validateInput } from '../../../src/graphql/user-errors';
import { Channel } from '../entities/channel';
import type { ChannelCreateInput } from '../graphql/inputs';

/** A channel's public widget key: `wk_` and 32 url-safe random characters. */
export function newWidgetKey(): string {
  return `wk_${randomBytes(24).toString('base64url')}`;
}

/** Creates a channel with a fresh widget key; audited. */
export async function createChannel(ctx: RequestContext, input: ChannelCreateInput): Promise<Channel> {
  await validateInput(input);
  return ctx.transaction(async (tx) => {
    const channel = tx.em.create(Channel, { name: input.name.trim(), type: input.type, receptionMode: input.receptionMode, widgetKey: newWidgetKey() });
    tx.audit({ action: 'conversations.channel.create', subjectType: 'Channel', subjectId: channel.id, changes: { name: channel.name } });
    return channel;
  });
}
