import { randomBytes } from 'node:crypto';
import type { RequestContext, WriteTransaction } from '../../../src/context';
import { tryFromGlobalId } from '../../../src/graphql/global-id';
import { UserError, UserErrorCode, UserInputFailure, validateInput } from '../../../src/graphql/user-errors';
import { AutoReplySettings, BusinessHoursDay, Channel } from '../entities/channel';
import { ServiceGroup } from '../entities/service-group';
import type { AutoReplySettingsInput, BusinessHoursDayInput, ChannelCreateInput, ChannelUpdateInput } from '../graphql/setup-inputs';
import { businessHoursProblems } from './business-hours';

type EntityManager = WriteTransaction['em'];

/** A channel's public widget key: `wk_` and 32 url-safe random characters. */
export function newWidgetKey(): string {
  return `wk_${randomBytes(24).toString('base64url')}`;
}

/** A channel of the caller's workspace by global id, or null (unknown, another workspace's, not a Channel id). */
export async function findChannel(ctx: RequestContext, globalId: string): Promise<Channel | null> {
  const id = tryFromGlobalId(globalId, 'Channel');
  return id ? ctx.em.findOne(Channel, id) : null;
}

async function assertNameFree(em: EntityManager, name: string, selfId?: string): Promise<void> {
  const other = await em.findOne(Channel, { name, ...(selfId ? { id: { $ne: selfId } } : {}) });
  if (other) throw UserInputFailure.of(['input', 'name'], `A channel named ${name} already exists`, UserErrorCode.DUPLICATE);
}

/** The group behind a global id in the caller's workspace, or NOT_FOUND on `field`. */
export async function serviceGroupForInput(em: EntityManager, globalId: string, field: string[]): Promise<ServiceGroup> {
  const id = tryFromGlobalId(globalId, 'ServiceGroup');
  const group = id ? await em.findOne(ServiceGroup, id) : null;
  if (!group) throw UserInputFailure.of(field, 'No such service group in this workspace', UserErrorCode.NOT_FOUND);
  return group;
}

/**
 * The auto-replies as stored, or the problems with them: a delay without its text (or a text without its delay)
 * would start a timer with nothing to send, or never send the text. Absent means all off.
 */
function autoRepliesOf(input: AutoReplySettingsInput | null | undefined): AutoReplySettings {
  const replies = {
    greeting: input?.greeting?.trim() || null,
    noAgentOnline: input?.noAgentOnline?.trim() || null,
    queueWaitSeconds: input?.queueWaitSeconds ?? null,
    queueWaitMessage: input?.queueWaitMessage?.trim() || null,
    agentSilenceSeconds: input?.agentSilenceSeconds ?? null,
    agentSilenceReminder: input?.agentSilenceReminder?.trim() || null,
  };
  const problems: UserError[] = [];
  const pair = (delay: keyof AutoReplySettings, text: keyof AutoReplySettings) => {
    if ((replies[delay] == null) === (replies[text] == null)) return;
    const missing = replies[delay] == null ? delay : text;
    const given = missing === delay ? text : delay;
    problems.push(UserError.of(['input', 'autoReplies', missing], `${missing} is required with ${given}`, UserErrorCode.REQUIRED));
  };
  pair('queueWaitSeconds', 'queueWaitMessage');
  pair('agentSilenceSeconds', 'agentSilenceReminder');
  if (problems.length) throw new UserInputFailure(problems);
  return Object.assign(new AutoReplySettings(), replies);
}

/** The business hours as stored (null: always open), or the problems with them. */
function businessHoursOf(input: BusinessHoursDayInput[] | null | undefined): BusinessHoursDay[] | null {
  if (input == null) return null;
  const days = input.map(({ weekday, from, to }) => Object.assign(new BusinessHoursDay(), { weekday, from, to }));
  const problems = businessHoursProblems(days);
  if (problems.length) throw new UserInputFailure(problems);
  return days.sort((a, b) => a.weekday - b.weekday || a.from.localeCompare(b.from));
}

/** Creates a channel with a fresh widget key; audited. */
export async function createChannel(ctx: RequestContext, input: ChannelCreateInput): Promise<Channel> {
  await validateInput(input);
  return ctx.transaction(async (tx) => {
    const name = input.name.trim();
    await assertNameFree(tx.em, name);
    const defaultGroup = await serviceGroupForInput(tx.em, input.defaultGroupId, ['input', 'defaultGroupId']);
    const channel = tx.em.create(Channel, {
      name, type: input.type, receptionMode: input.receptionMode, defaultGroup, widgetKey: newWidgetKey(),
      autoReplies: autoRepliesOf(input.autoReplies), businessHours: businessHoursOf(input.businessHours),
    });
    tx.audit({
      action: 'conversations.channel.create', subjectType: 'Channel', subjectId: channel.id,
      changes: { name, type: channel.type, receptionMode: channel.receptionMode, defaultGroupId: defaultGroup.id, autoReplies: channel.autoReplies, businessHours: channel.businessHours },
    });
    return channel;
  });
}

/**
 * Changes a channel. The last writer wins (channels carry no version): only the fields given change, so two
 * managers editing different settings do not undo each other; auto-replies and business hours are each replaced
 * as a whole.
 */
export async function updateChannel(ctx: RequestContext, input: ChannelUpdateInput): Promise<Channel> {
  await validateInput(input);
  return ctx.transaction(async (tx) => {
    const id = tryFromGlobalId(input.id, 'Channel');
    const channel = id ? await tx.em.findOne(Channel, id) : null;
    if (!channel) throw UserInputFailure.of(['input', 'id'], 'No such channel', UserErrorCode.NOT_FOUND);
    const changes: Record<string, unknown> = {};
    if (input.name != null) {
      changes.name = input.name.trim();
      await assertNameFree(tx.em, changes.name as string, channel.id);
    }
    if (input.receptionMode != null) changes.receptionMode = input.receptionMode;
    if (input.defaultGroupId != null) {
      changes.defaultGroup = await serviceGroupForInput(tx.em, input.defaultGroupId, ['input', 'defaultGroupId']);
    }
    if (input.autoReplies !== undefined) changes.autoReplies = autoRepliesOf(input.autoReplies);
    if (input.businessHours !== undefined) changes.businessHours = businessHoursOf(input.businessHours);
    tx.em.assign(channel, changes);
    const { defaultGroup, ...audited } = changes;
    tx.audit({
      action: 'conversations.channel.update', subjectType: 'Channel', subjectId: channel.id,
      changes: { ...audited, ...(defaultGroup ? { defaultGroupId: (defaultGroup as ServiceGroup).id } : {}) },
    });
    return channel;
  });
}
