import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { User, userById } from '../../../src/auth';
import type { RequestContext } from '../../../src/context';
import { mutationPayload } from '../../../src/graphql/user-errors';
import { AgentState } from '../entities/agent';
import { AgentCapacitySetInput, AgentStatusSetInput } from '../graphql/inputs';
import { AgentStatePayload } from '../graphql/types';
import { agentStateOf } from '../loaders/conversation';
import { CONVERSATIONS_PERMISSIONS } from '../permissions';
import { setAgentCapacity, setAgentStatus } from '../services/agents';

@Resolver(() => AgentState)
export class AgentStateResolver {
  @Authorized(CONVERSATIONS_PERMISSIONS.write)
  @Mutation(() => AgentStatePayload, { description: 'The caller sets their own status; coming ONLINE serves the queues of their groups at once' })
  agentStatusSet(@Arg('input', { description: 'The status' }) input: AgentStatusSetInput, @Ctx() ctx: RequestContext): Promise<AgentStatePayload> {
    return mutationPayload(AgentStatePayload, async () => ({ agentState: await setAgentStatus(ctx, input.status) }));
  }

  @Authorized(CONVERSATIONS_PERMISSIONS.manage)
  @Mutation(() => AgentStatePayload, { description: "A manager sets an agent's capacity (0–100); more room serves the queue at once" })
  agentCapacitySet(@Arg('input', { description: 'The agent and the capacity' }) input: AgentCapacitySetInput, @Ctx() ctx: RequestContext): Promise<AgentStatePayload> {
    return mutationPayload(AgentStatePayload, async () => ({ agentState: await setAgentCapacity(ctx, input.userId, input.capacity) }));
  }

  @Authorized(CONVERSATIONS_PERMISSIONS.write)
  @Query(() => AgentState, { nullable: true, description: "The caller's own status, capacity and load; null before they first set a status" })
  myAgentState(@Ctx() ctx: RequestContext): Promise<AgentState | null> {
    return agentStateOf(ctx).load(ctx.caller.userId);
  }

  @FieldResolver(() => User, { nullable: true, description: 'The agent' })
  agent(@Root() state: AgentState, @Ctx() ctx: RequestContext): Promise<User | null> {
    return userById(ctx).load(state.agent.id);
  }

  @FieldResolver(() => Int, { description: "Conversations the agent was given today (the workspace's time zone)" })
  async handledToday(@Root() state: AgentState, @Ctx() ctx: RequestContext): Promise<number> {
    return state.handledOn === (await ctx.clock()).today() ? state.handledToday : 0;
  }
}
