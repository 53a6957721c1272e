import { Arg, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../../src/context';
import { mutationPayload } from '../../../src/graphql/user-errors';
import { Channel } from '../entities/channel';
import { RoutingConditions, RoutingRule, ServiceGroup } from '../entities/service-group';
import { RoutingRuleCreateInput, RoutingRuleDeleteInput, RoutingRuleUpdateInput } from '../graphql/setup-inputs';
import { RoutingRuleDeletePayload, RoutingRulePayload } from '../graphql/setup-types';
import { channelById, groupById } from '../loaders/conversation';
import { CONVERSATIONS_PERMISSIONS } from '../permissions';
import { createRoutingRule, deleteRoutingRule, listRoutingRules, updateRoutingRule } from '../services/routing';

@Resolver(() => RoutingRule)
export class RoutingRuleResolver {
  // A plain list, not a connection: the rules are one ordered configuration, read whole (as the assignment engine reads them).
  @Authorized(CONVERSATIONS_PERMISSIONS.read)
  @Query(() => [RoutingRule], { description: 'Every routing rule of the workspace in the order they are tried: position, then creation' })
  routingRules(@Ctx() ctx: RequestContext): Promise<RoutingRule[]> {
    return listRoutingRules(ctx);
  }

  @Authorized(CONVERSATIONS_PERMISSIONS.manage)
  @Mutation(() => RoutingRulePayload, { description: 'Create a routing rule 高级分配' })
  routingRuleCreate(@Arg('input', { description: 'The rule' }) input: RoutingRuleCreateInput, @Ctx() ctx: RequestContext): Promise<RoutingRulePayload> {
    return mutationPayload(RoutingRulePayload, async () => ({ routingRule: await createRoutingRule(ctx, input) }));
  }

  @Authorized(CONVERSATIONS_PERMISSIONS.manage)
  @Mutation(() => RoutingRulePayload, { description: "Change a routing rule's name, position, conditions, target group or activity" })
  routingRuleUpdate(@Arg('input', { description: 'The changes' }) input: RoutingRuleUpdateInput, @Ctx() ctx: RequestContext): Promise<RoutingRulePayload> {
    return mutationPayload(RoutingRulePayload, async () => ({ routingRule: await updateRoutingRule(ctx, input) }));
  }

  @Authorized(CONVERSATIONS_PERMISSIONS.manage)
  @Mutation(() => RoutingRuleDeletePayload, { description: 'Delete a routing rule' })
  routingRuleDelete(@Arg('input', { description: 'The rule' }) input: RoutingRuleDeleteInput, @Ctx() ctx: RequestContext): Promise<RoutingRuleDeletePayload> {
    return mutationPayload(RoutingRuleDeletePayload, async () => ({ deletedRoutingRuleId: await deleteRoutingRule(ctx, input.id) }));
  }

  @FieldResolver(() => ServiceGroup, { description: 'The group that matching conversations go to' })
  async targetGroup(@Root() rule: RoutingRule, @Ctx() ctx: RequestContext): Promise<ServiceGroup> {
    return (await groupById(ctx).load(rule.targetGroup.id))!; // a foreign key keeps it there
  }
}

@Resolver(() => RoutingConditions)
export class RoutingConditionsResolver {
  @FieldResolver(() => [Channel], { description: 'The conversation came in on one of these channels (empty: any channel)' })
  async channels(@Root() conditions: RoutingConditions, @Ctx() ctx: RequestContext): Promise<Channel[]> {
    const channels = await channelById(ctx).loadMany(conditions.channelIds ?? []);
    // The ids sit in the rule's JSON, without a foreign key: a channel that is gone is left out.
    return channels.filter((channel): channel is Channel => channel instanceof Channel);
  }
}
