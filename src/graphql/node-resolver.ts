import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../context';
import { AppError } from './errors';
import { parseGlobalId } from './global-id';
import { Node } from './node';

@Resolver()
export class NodeResolver {
  @Authorized()
  @Query(() => Node, { nullable: true, description: 'Any object by its global id; null when it does not exist in your workspace' })
  async node(@Arg('id', () => ID, { description: 'A global id' }) id: string, @Ctx() ctx: RequestContext): Promise<Node | null> {
    const parsed = parseGlobalId(id);
    const nodeType = parsed && ctx.app.registry.nodeTypes.get(parsed.typeName);
    if (!parsed || !nodeType) return null;
    if (!ctx.can(nodeType.permission)) throw AppError.forbidden([nodeType.permission]);
    // The workspace filter makes another workspace's row indistinguishable from a missing one.
    return (await ctx.em.findOne(nodeType.entity as any, parsed.id as any)) as Node | null;
  }
}
