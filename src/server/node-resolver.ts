import type { FilterQuery } from '@mikro-orm/core';
import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { mayReadObject } from '../auth/read-access';
import type { RequestContext } from '../context';
import { AppError } from '../graphql/errors';
import { parseGlobalId } from '../graphql/global-id';
import { Node } from '../graphql/node';
import type { NodeTypeDefinition } from '../kernel/module';

export const MAX_NODE_IDS = 100;

/** The rows of a node type with these ids that the caller may load at all (the type's `visibleTo`, if it has one). */
function loadable(ctx: RequestContext, nodeType: NodeTypeDefinition, ids: FilterQuery<any>): FilterQuery<any> {
  return nodeType.visibleTo ? { $and: [ids, nodeType.visibleTo(ctx)] } : ids;
}

@Resolver()
export class NodeResolver {
  @Authorized()
  @Query(() => Node, { nullable: true, description: 'Any object by its global id; null when it does not exist in your workspace' })
  async node(@Arg('id', () => ID, { description: 'A global id' }) id: string, @Ctx() ctx: RequestContext): Promise<Node | null> {
    const parsed = parseGlobalId(id);
    const nodeType = parsed && ctx.app.registry.nodeTypes.get(parsed.typeName);
    if (!parsed || !nodeType) return null;
    // The workspace filter makes another workspace's row indistinguishable from a missing one, as `visibleTo` does
    // another person's private record; the read rules (src/auth/read-access.ts) refuse a node whose type the caller
    // may not read.
    return (await ctx.em.findOne(nodeType.entity as any, loadable(ctx, nodeType, { id: parsed.id }))) as Node | null;
  }

  @Authorized()
  @Query(() => [Node], {
    nullable: 'items',
    // Priced like a connection (src/server/limits.ts): each id asked costs what one node selects.
    complexity: ({ args, childComplexity }) => 1 + (Array.isArray(args.ids) ? args.ids.length : 1) * Math.max(childComplexity, 1),
    description: `Objects by their global ids (at most ${MAX_NODE_IDS}), in the order asked; null in the place of an id that does not `
      + 'exist in your workspace or names a type you may not read. One statement per type asked',
  })
  async nodes(
    @Arg('ids', () => [ID], { description: `Global ids, at most ${MAX_NODE_IDS}` }) ids: string[],
    @Ctx() ctx: RequestContext,
  ): Promise<(Node | null)[]> {
    if (ids.length > MAX_NODE_IDS) throw new AppError('BAD_USER_INPUT', `Ask for at most ${MAX_NODE_IDS} ids at a time`, { field: ['ids'] });
    const parsed = ids.map((id) => parseGlobalId(id));
    const found = new Map<string, Node>();
    for (const typeName of new Set(parsed.flatMap((p) => (p ? [p.typeName] : [])))) {
      const nodeType = ctx.app.registry.nodeTypes.get(typeName);
      if (!nodeType) continue;
      const uuids = [...new Set(parsed.flatMap((p) => (p?.typeName === typeName ? [p.id] : [])))];
      // The workspace filter leaves another workspace's rows out, like missing ones, and `visibleTo` others' private ones.
      const rows = (await ctx.em.find(nodeType.entity as any, loadable(ctx, nodeType, { id: { $in: uuids } }))) as Array<Node & { id: string }>;
      // Unlike node(id), an object the caller may not read is a null among the others rather than an error for all;
      // the schema's read rule decides, own records included.
      for (const row of rows) if (mayReadObject(ctx, typeName, row)) found.set(`${typeName}:${row.id}`, row);
    }
    return parsed.map((p) => (p ? found.get(`${p.typeName}:${p.id}`) ?? null : null));
  }
}
