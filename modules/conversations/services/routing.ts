import type { RequestContext, WriteTransaction } from '../../../src/context';
import { tryFromGlobalId } from '../../../src/graphql/global-id';
import { UserError, UserErrorCode, UserInputFailure, validateInput } from '../../../src/graphql/user-errors';
import { Channel } from '../entities/channel';
import { RoutingConditions, RoutingRule } from '../entities/service-group';
import type { VisitorContext } from '../entities/visitor';
import type { RoutingConditionsInput, RoutingRuleCreateInput, RoutingRuleUpdateInput } from '../graphql/setup-inputs';
import { serviceGroupForInput } from './channels';

/** What a routing rule is matched against: the conversation's channel (uuid) and where its visitor came from. */
export interface RoutingContext extends VisitorContext {
  channelId: string;
}

type MatchableRule = Pick<RoutingRule, 'id' | 'position' | 'active' | 'conditions' | 'createdAt'>;

const contains = (text: string | null | undefined, part: string) => !!text && text.toLowerCase().includes(part.toLowerCase());

/** Every condition the rule gives holds for the context; an absent or empty condition holds for anything. */
function matches(conditions: RoutingConditions, context: RoutingContext): boolean {
  const { channelIds, sourceKeywords, landingPageContains, originatingPageContains, regions } = conditions;
  if (channelIds?.length && !channelIds.includes(context.channelId)) return false;
  if (sourceKeywords?.length && !sourceKeywords.some((word) => contains(context.sourceKeyword, word))) return false;
  if (landingPageContains && !contains(context.landingPage, landingPageContains)) return false;
  if (originatingPageContains && !contains(context.originatingPage, originatingPageContains)) return false;
  if (regions?.length && !regions.some((region) => !!context.region && context.region.toLowerCase().startsWith(region.toLowerCase()))) return false;
  return true;
}

/** The order rules are tried in: position, then creation, then id (a total order, so the same rules always pick the same one). */
function byPosition(a: MatchableRule, b: MatchableRule): number {
  return a.position - b.position || a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id);
}

/**
 * Advanced routing 高级分配: the first active rule, by position, whose every given condition matches the new
 * conversation, or null (then the channel's default group serves it). Keywords match when the visitor's search
 * keyword contains one of the rule's words, pages when they contain the rule's text, regions when the visitor's
 * region begins with one of the rule's; all case-insensitive. Pure: the assignment engine passes the rules
 * (`activeRoutingRules`) and the conversation's context.
 */
export function matchRoutingRule<R extends MatchableRule>(rules: readonly R[], context: RoutingContext): R | null {
  return [...rules].filter((rule) => rule.active).sort(byPosition).find((rule) => matches(rule.conditions, context)) ?? null;
}

/** The order rules are tried in (byPosition's), for the database. */
const TRIED_ORDER = { position: 'asc', createdAt: 'asc', id: 'asc' } as const;

/** The workspace's active routing rules in the order they are tried. */
export function activeRoutingRules(ctx: RequestContext): Promise<RoutingRule[]> {
  return ctx.em.find(RoutingRule, { active: true }, { orderBy: TRIED_ORDER });
}

/** Every routing rule of the workspace, active or not, in the order they are tried. */
export function listRoutingRules(ctx: RequestContext): Promise<RoutingRule[]> {
  return ctx.em.find(RoutingRule, {}, { orderBy: TRIED_ORDER });
}

/** The conditions as stored, or NOT_FOUND on each channel id that is not a channel of the workspace. */
async function conditionsOf(em: WriteTransaction['em'], input: RoutingConditionsInput): Promise<RoutingConditions> {
  const ids = input.channelIds.map((globalId) => tryFromGlobalId(globalId, 'Channel'));
  const known = await em.find(Channel, { id: { $in: ids.filter((id): id is string => !!id) } });
  const problems = ids.flatMap((id, i) => (known.some((c) => c.id === id)
    ? []
    : [UserError.of(['input', 'conditions', 'channelIds', String(i)], 'No such channel in this workspace', UserErrorCode.NOT_FOUND)]));
  if (problems.length) throw new UserInputFailure(problems);
  const words = (values: string[]) => [...new Set(values.map((v) => v.trim()))];
  return Object.assign(new RoutingConditions(), {
    channelIds: [...new Set(ids as string[])],
    sourceKeywords: words(input.sourceKeywords),
    landingPageContains: input.landingPageContains?.trim() || null,
    originatingPageContains: input.originatingPageContains?.trim() || null,
    regions: words(input.regions),
  });
}

/** Creates a routing rule; a target group or channel not of the workspace is NOT_FOUND on its field. Audited. */
export async function createRoutingRule(ctx: RequestContext, input: RoutingRuleCreateInput): Promise<RoutingRule> {
  await validateInput(input);
  return ctx.transaction(async (tx) => {
    const conditions = await conditionsOf(tx.em, input.conditions);
    const targetGroup = await serviceGroupForInput(tx.em, input.targetGroupId, ['input', 'targetGroupId']);
    const rule = tx.em.create(RoutingRule, { name: input.name.trim(), position: input.position, conditions, targetGroup, active: input.active });
    tx.audit({
      action: 'conversations.routingRule.create', subjectType: 'RoutingRule', subjectId: rule.id,
      changes: { name: rule.name, position: rule.position, conditions, targetGroupId: targetGroup.id, active: rule.active },
    });
    return rule;
  });
}

async function ruleForInput(em: WriteTransaction['em'], globalId: string): Promise<RoutingRule> {
  const id = tryFromGlobalId(globalId, 'RoutingRule');
  const rule = id ? await em.findOne(RoutingRule, id) : null;
  if (!rule) throw UserInputFailure.of(['input', 'id'], 'No such routing rule', UserErrorCode.NOT_FOUND);
  return rule;
}

/** Changes a routing rule (the last writer wins; conditions are replaced as a whole). Audited. */
export async function updateRoutingRule(ctx: RequestContext, input: RoutingRuleUpdateInput): Promise<RoutingRule> {
  await validateInput(input);
  return ctx.transaction(async (tx) => {
    const rule = await ruleForInput(tx.em, input.id);
    const changes: Record<string, unknown> = {};
    if (input.name != null) changes.name = input.name.trim();
    if (input.position != null) changes.position = input.position;
    if (input.active != null) changes.active = input.active;
    if (input.conditions != null) changes.conditions = await conditionsOf(tx.em, input.conditions);
    const targetGroup = input.targetGroupId != null ? await serviceGroupForInput(tx.em, input.targetGroupId, ['input', 'targetGroupId']) : undefined;
    tx.em.assign(rule, { ...changes, ...(targetGroup ? { targetGroup } : {}) });
    tx.audit({
      action: 'conversations.routingRule.update', subjectType: 'RoutingRule', subjectId: rule.id,
      changes: { ...changes, ...(targetGroup ? { targetGroupId: targetGroup.id } : {}) },
    });
    return rule;
  });
}

/** Deletes a routing rule; conversations it routed keep their group. Audited. */
export async function deleteRoutingRule(ctx: RequestContext, globalId: string): Promise<string> {
  return ctx.transaction(async (tx) => {
    const rule = await ruleForInput(tx.em, globalId);
    tx.em.remove(rule);
    tx.audit({ action: 'conversations.routingRule.delete', subjectType: 'RoutingRule', subjectId: rule.id, changes: { name: rule.name } });
    return rule.globalId;
  });
}
