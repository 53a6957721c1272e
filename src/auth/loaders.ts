import { byKey, defineLoader } from '../context/loaders';
import { User, Workspace } from './entities';

export const userById = defineLoader<string, User | null>('identity.userById', async (ids, ctx) =>
  byKey(ids, await ctx.em.find(User, { id: { $in: [...ids] } }), (u) => u.id),
);

export const workspaceById = defineLoader<string, Workspace | null>('identity.workspaceById', async (ids, ctx) =>
  byKey(ids, await ctx.em.find(Workspace, { id: { $in: [...ids] } }), (w) => w.id),
);
