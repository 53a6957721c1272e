import { issueGuestToken, verifyGuestToken } from '../../../src/auth';
import { RequestContext, type WriteTransaction } from '../../../src/context';
import { entityOfRow, viewOfRow } from '../../../src/db/entity-views';
import { sqlFragment, sqlText, WORKSPACE, workspaceSql } from '../../../src/db/workspace-sql';
import { AppError } from '../../../src/graphql/errors';
import { tryFromGlobalId } from '../../../src/graphql/global-id';
import { UserErrorCode, UserInputFailure, validateInput } from '../../../src/graphql/user-errors';
import { identifyCustomer } from '../../customers';
import { Channel } from '../entities/channel';
import { Conversation } from '../entities/conversation';
import { AuthorKind, ConversationStatus, MessageKind, ReceptionMode } from '../entities/enums';
import { Visitor, type VisitorContext } from '../entities/visitor';
import { RoutingRule } from '../entities/service-group';
import { CONVERSATION_EVENTS } from '../events';
import type { ConversationStartInput, VisitorContextInput } from '../graphql/inputs';
import { CONVERSATIONS_PERMISSIONS } from '../permissions';
import { assignOrQueue, lockGroups, type AssignmentMoment } from './assignment';
import { momentOf } from './agents';
import { DESK_SETTINGS_COLUMNS, deskSettingsOf, knowDeskSettings } from './desk-settings';
import { isOpenAt } from './business-hours';
import { botOf } from './bot-point';
import { addMessage, addVisitorMessage } from './messages';
import { activeRoutingRules, matchRoutingRule } from './routing';

/** How long a visitor token lets the widget back in: a returning shopper a month later is the same visitor. */
const VISITOR_TOKEN_DAYS = 30;

export interface Started {
  conversation: Conversation;
  visitorToken: string;
}

/**
 * conversationStart, for the three callers the issue names: a channel connector (API key or user with
 * conversations:write), the chat widget (anonymous, with the channel's public widget key), or a visitor coming
 * back with their token (guest). The visitor is identified as a customer (customers' identifyCustomer); an open
 * conversation of that visitor on the channel is continued rather than doubled (a widget reloaded mid-chat); a new
 * one is routed to a group and assigned or queued, in one transaction with its first message.
 */
export async function startConversation(ctx: RequestContext, input: ConversationStartInput): Promise<Started> {
  await validateInput(input);
  const channelId = tryFromGlobalId(input.channelId, 'Channel');
  const scope = await callerScope(ctx, channelId, input.widgetKey);
  const started = await scope.transaction(async (tx) => {
    let known = channelId ? await knownAtStart(tx, channelId, input) : null;
    if (!known) throw UserInputFailure.of(['input', 'channelId'], 'No such channel', UserErrorCode.NOT_FOUND);
    if (known.visitor && !known.visitor.customer) {
      // A browsing visitor's first contact is identified as a customer, which takes the customers' locks. Their row is
      // locked first, as an invitation locks it before identifying them (README, lock order), and what the start knows
      // is read again under that lock (an invitation may have started their conversation meanwhile).
      await workspaceSql(tx)`select 1 from visitor where workspace_id = ${WORKSPACE} and id = ${known.visitor.id} for update`;
      known = (await knownAtStart(tx, channelId!, input))!;
    }
    const { channel, open, routingRules } = known;
    const at = await momentOf(tx);
    const visitor = await visitorFor(tx, channel, input, known.visitor, at.now);
    if (open) {
      await addVisitorMessage(tx, open, { kind: MessageKind.TEXT, content: input.message.trim() }, at.now);
      return { conversation: open, visitor };
    }
    const context = contextOf(input.context);
    const conversation = tx.em.create(Conversation, { channel, visitor, customer: visitor.customer!, status: ConversationStatus.QUEUED, context, createdAt: at.now });
    tx.emit(CONVERSATION_EVENTS.started, conversation.id, { channelId: channel.id, customerId: visitor.customer!.id, visitorId: visitor.id });
    addMessage(tx, conversation, { authorKind: AuthorKind.VISITOR, kind: MessageKind.TEXT, content: input.message.trim() }, at.now);
    if (channel.autoReplies.greeting) addMessage(tx, conversation, { authorKind: AuthorKind.SYSTEM, kind: MessageKind.TEXT, content: channel.autoReplies.greeting }, at.now);
    // BOT_FIRST: the bot answers (a reaction to the message); without a bot, a human at once.
    if (channel.receptionMode === ReceptionMode.BOT_FIRST && botOf(tx.ctx)) conversation.status = ConversationStatus.BOT;
    else {
      // Written before routing locks the group, so that the group stays locked for the assignment's statements only.
      await tx.em.flush();
      await route(tx, conversation, channel, at, routingRules);
    }
    return { conversation, visitor };
  });
  return { conversation: started.conversation, visitorToken: visitorTokenFor(ctx, scope.workspaceId, started.visitor.id) };
}

/**
 * A new token for the visitor. When the caller is the widget (anonymous), the rest of its request (the payload) is
 * read with that visitor's rights: its own records.
 */
export function visitorTokenFor(ctx: RequestContext, workspaceId: string, visitorId: string): string {
  const claims = { workspaceId, subjectType: 'Visitor', subjectId: visitorId, expiresAt: new Date(Date.now() + VISITOR_TOKEN_DAYS * 86_400_000) };
  const visitorToken = issueGuestToken(ctx.app, claims);
  if (!ctx.principal) ctx.readAs(verifyGuestToken(ctx.app, visitorToken));
  return visitorToken;
}

/**
 * The context the start runs in. Staff and guests bring their workspace; the anonymous widget brings the channel's
 * widget key, which is how its workspace is learnt (looked up across workspaces, like an API key's prefix).
 */
export async function callerScope(ctx: RequestContext, channelId: string | undefined, widgetKey?: string | null): Promise<RequestContext> {
  if (ctx.guest) return ctx;
  if (ctx.principal) {
    if (!ctx.can(CONVERSATIONS_PERMISSIONS.write)) throw AppError.forbidden([CONVERSATIONS_PERMISSIONS.write]);
    return ctx;
  }
  if (!widgetKey) throw AppError.unauthenticated('Start a conversation with the channel\'s widgetKey, a visitor token, or an API key with conversations:write');
  const channel = await ctx.app.orm.em.fork().findOne(Channel, { widgetKey }, { filters: false });
  if (!channel || channel.id !== channelId) throw AppError.unauthenticated('The widget key is not the key of this channel');
  return new RequestContext(ctx.app, undefined, undefined, ctx.requestId, channel.workspace.id, ctx.clientIp);
}

interface KnownAtStart {
  channel: Channel;
  /** The guest's visitor (on this channel only), or the channel's visitor of the input's externalId. */
  visitor: Visitor | null;
  /** That visitor's open conversation on the channel (the newest). */
  open: Conversation | null;
  routingRules: RoutingRule[];
}

/**
 * What a start needs to know before it writes, in one statement (a start's round trips are the desk's throughput:
 * bench/RESULTS.md): the channel, the visitor and their open conversation, the active routing rules, and the desk
 * settings (knowDeskSettings). Null when the channel is not one of the workspace.
 */
async function knownAtStart(tx: WriteTransaction, channelId: string, input: ConversationStartInput): Promise<KnownAtStart | null> {
  const guest = tx.ctx.guest;
  const externalId = input.visitor?.externalId?.trim() || null;
  const visitorMatch = guest ? (guest.guest.type === 'Visitor' ? sqlFragment`v.id = ${guest.guest.id}` : sqlText('false'))
    : externalId ? sqlFragment`v.external_id = ${externalId}` : sqlText('false');
  const [row] = await workspaceSql(tx)<{ channel: Record<string, unknown>; visitor: Record<string, unknown> | null; open: Record<string, unknown> | null;
    routing_rules: Record<string, unknown>[]; desk_time_zone: string; desk_reassign_after: number | null }>`
    select to_jsonb(ch) as channel, to_jsonb(v) as visitor,
      (select to_jsonb(c) from conversation c where c.workspace_id = ch.workspace_id and c.channel_id = ch.id and c.visitor_id = v.id
        and c.status <> 'CLOSED' order by c.created_at desc limit 1) as open,
      (select coalesce(jsonb_agg(to_jsonb(r)), '[]'::jsonb) from routing_rule r where r.workspace_id = ch.workspace_id and r.active) as routing_rules,
      ${DESK_SETTINGS_COLUMNS}
    from channel ch
    left join lateral (select * from visitor v where v.workspace_id = ch.workspace_id and v.channel_id = ch.id and ${visitorMatch}
      order by v.created_at limit 1) v on true
    where ch.workspace_id = ${WORKSPACE} and ch.id = ${channelId}`;
  if (!row) return null;
  knowDeskSettings(tx, row);
  return {
    channel: entityOfRow(tx.em, Channel, row.channel, { refresh: true }),
    visitor: row.visitor ? entityOfRow(tx.em, Visitor, row.visitor, { refresh: true }) : null,
    open: row.open ? entityOfRow(tx.em, Conversation, row.open, { refresh: true }) : null,
    routingRules: row.routing_rules.map((rule) => viewOfRow(tx.em, RoutingRule, rule)),
  };
}

/** The visitor: the guest's own (on its channel only), or found by the channel's visitor id, or new; identified as a customer. */
async function visitorFor(tx: WriteTransaction, channel: Channel, input: ConversationStartInput, known: Visitor | null, now: Date): Promise<Visitor> {
  const externalId = input.visitor?.externalId?.trim() || null;
  let visitor = known;
  if (tx.ctx.guest && !visitor) throw new AppError('FORBIDDEN', 'This visitor token is for another channel');
  if (!visitor?.customer || input.visitor?.phone || input.visitor?.email) {
    const { customer } = await identifyCustomer(tx, {
      externalId: externalId ? { platform: `channel-${channel.type.toLowerCase().replace(/_/g, '-')}`, value: externalId } : null,
      phone: input.visitor?.phone, email: input.visitor?.email, name: input.visitor?.name,
    }, ['input', 'visitor']);
    if (visitor) visitor.customer = customer;
    else visitor = tx.em.create(Visitor, { channel, customer, externalId, context: contextOf(input.context), lastSeenAt: now });
  }
  visitor.lastSeenAt = now;
  return visitor;
}

function contextOf(input?: VisitorContextInput | null): VisitorContext {
  const context: VisitorContext = {};
  for (const key of ['sourceKeyword', 'landingPage', 'referrer', 'originatingPage', 'region', 'device'] as const) {
    const value = input?.[key]?.trim();
    if (value) context[key] = value;
  }
  return context;
}

/**
 * Sends the new conversation to its group (the first matching routing rule's, else the channel's default group;
 * `rules`: the workspace's active routing rules, when the caller has read them already)
 * and there to an agent or the queue. Without a group the channel cannot serve anyone: a clear error.
 */
export async function route(tx: WriteTransaction, conversation: Conversation, channel: Channel, at: AssignmentMoment, rules?: RoutingRule[]): Promise<void> {
  const rule = matchRoutingRule(rules ?? (await activeRoutingRules(tx.context())), { channelId: channel.id, ...conversation.context });
  const groupId = rule?.targetGroup.id ?? channel.defaultGroup?.id;
  if (!groupId) throw UserInputFailure.of(['input', 'channelId'], 'This channel has no service group: give it a default group', UserErrorCode.NOT_ALLOWED);
  const [group] = await lockGroups(tx, [groupId]);
  const assigned = await assignOrQueue(tx, conversation, group, at);
  // "No agent online": outside the channel's business hours, or nobody of the group online (busy agents don't count).
  const reply = channel.autoReplies.noAgentOnline;
  const open = isOpenAt(channel, at.now, (await deskSettingsOf(tx)).clock.timeZone);
  if (!assigned && reply && (!open || !(await anyoneOnline(tx, group.id)))) {
    addMessage(tx, conversation, { authorKind: AuthorKind.SYSTEM, kind: MessageKind.TEXT, content: reply }, at.now);
  }
}

async function anyoneOnline(tx: WriteTransaction, groupId: string): Promise<boolean> {
  const rows = await workspaceSql(tx)`
    select 1 from service_group_member m join agent_state s on s.workspace_id = m.workspace_id and s.agent_id = m.agent_id
    where m.workspace_id = ${WORKSPACE} and m.group_id = ${groupId} and s.status = 'ONLINE' limit 1`;
  return rows.length > 0;
}
