import type { FilterQuery } from '@mikro-orm/postgresql';
import type { RequestContext, WriteTransaction } from '../../../src/context';
import { paginate } from '../../../src/graphql/connection';
import { AppError } from '../../../src/graphql/errors';
import { tryFromGlobalId } from '../../../src/graphql/global-id';
import { UserErrorCode, UserInputFailure, validateInput } from '../../../src/graphql/user-errors';
import { escapeLike } from '../../../src/kernel/text';
import { QuickReply, QuickReplyScope } from '../entities/quick-reply';
import { QUICK_REPLY_SORT, type QuickRepliesArgs } from '../graphql/setup-args';
import type { QuickReplyCreateInput, QuickReplyUpdateInput } from '../graphql/setup-inputs';
import { CONVERSATIONS_PERMISSIONS } from '../permissions';

type EntityManager = WriteTransaction['em'];

/**
 * The user whose personal quick replies the caller keeps: a signed-in user's own. An API key has none (its
 * principal names its creator, but a connector is not that agent at the composer), nor has a guest.
 */
function personalOwnerOf(ctx: RequestContext): string | null {
  const reader = ctx.reader;
  return reader?.kind === 'USER' ? reader.userId : null;
}

/**
 * The quick replies the caller sees: the workspace's, and the caller's own; another user's personal reply is
 * nobody else's, a manager's or the owner's included (the list, the mutations and `node(id)` all go through this).
 */
export function quickRepliesVisibleTo(ctx: RequestContext): FilterQuery<QuickReply> {
  const userId = personalOwnerOf(ctx);
  return userId ? { $or: [{ owner: null }, { owner: userId }] } : { owner: null };
}

/** The workspace's quick replies and the caller's own, by category and text in the title, content or shortcut. */
export async function listQuickReplies(ctx: RequestContext, args: QuickRepliesArgs) {
  try {
    await validateInput(args, []);
  } catch (error) {
    if (!(error instanceof UserInputFailure)) throw error;
    throw new AppError('BAD_USER_INPUT', error.message, { field: error.userErrors[0].field, reason: error.userErrors[0].code });
  }
  const conditions: FilterQuery<QuickReply>[] = [quickRepliesVisibleTo(ctx)];
  if (args.category != null) conditions.push({ category: args.category.trim() });
  const term = args.search?.trim();
  if (term) {
    const pattern = `%${escapeLike(term)}%`;
    conditions.push({ $or: [{ title: { $ilike: pattern } }, { content: { $ilike: pattern } }, { shortcut: { $ilike: pattern } }] });
  }
  return paginate(ctx.em, QuickReply, { $and: conditions }, args, QUICK_REPLY_SORT.sortKey(args.sort));
}

/**
 * Workspace quick replies are kept by managers; a personal one only by its owner, who is the only one to see it
 * (anyone else's id is NOT_FOUND, as if it did not exist).
 */
function assertMayChange(ctx: RequestContext, reply: QuickReply): void {
  if (!reply.owner && !ctx.can(CONVERSATIONS_PERMISSIONS.manage)) throw AppError.forbidden([CONVERSATIONS_PERMISSIONS.manage]);
}

async function replyForInput(ctx: RequestContext, em: EntityManager, globalId: string): Promise<QuickReply> {
  const id = tryFromGlobalId(globalId, 'QuickReply');
  const reply = id ? await em.findOne(QuickReply, { $and: [{ id }, quickRepliesVisibleTo(ctx)] }) : null;
  if (!reply) throw UserInputFailure.of(['input', 'id'], 'No such quick reply', UserErrorCode.NOT_FOUND);
  return reply;
}

/** Shortcuts are stored lower-case: `/Hello` and `/hello` are one shortcut. */
const shortcutOf = (raw: string | null | undefined) => raw?.toLowerCase() ?? null;

/**
 * DUPLICATE when another reply of the same scope (the workspace's, or the same owner's) has the shortcut. The
 * unique index quick_reply_shortcut_unique holds it against a concurrent create, which then fails as DUPLICATE too.
 */
async function assertShortcutFree(em: EntityManager, shortcut: string | null, ownerId: string | null, selfId?: string): Promise<void> {
  if (!shortcut) return;
  const other = await em.findOne(QuickReply, { shortcut, owner: ownerId, ...(selfId ? { id: { $ne: selfId } } : {}) });
  if (other) {
    const scope = ownerId ? 'one of your quick replies' : "one of the workspace's quick replies";
    throw UserInputFailure.of(['input', 'shortcut'], `The shortcut ${shortcut} is taken by ${scope} (${other.title})`, UserErrorCode.DUPLICATE);
  }
}

/** Creates a workspace quick reply (managers) or one of the caller's own; audited. */
export async function createQuickReply(ctx: RequestContext, input: QuickReplyCreateInput): Promise<QuickReply> {
  if (input.scope === QuickReplyScope.WORKSPACE && !ctx.can(CONVERSATIONS_PERMISSIONS.manage)) throw AppError.forbidden([CONVERSATIONS_PERMISSIONS.manage]);
  await validateInput(input);
  const ownerId = input.scope === QuickReplyScope.PERSONAL ? personalOwnerOf(ctx) : null;
  if (input.scope === QuickReplyScope.PERSONAL && !ownerId) {
    throw UserInputFailure.of(['input', 'scope'], 'Only a user has personal quick replies: an API key keeps WORKSPACE ones', UserErrorCode.NOT_ALLOWED);
  }
  return ctx.transaction(async (tx) => {
    const shortcut = shortcutOf(input.shortcut);
    await assertShortcutFree(tx.em, shortcut, ownerId);
    const reply = tx.em.create(QuickReply, {
      owner: ownerId, title: input.title.trim(), content: input.content.trim(), shortcut, category: input.category?.trim() ?? null,
    });
    tx.audit({
      action: 'conversations.quickReply.create', subjectType: 'QuickReply', subjectId: reply.id,
      changes: { scope: input.scope, title: reply.title, shortcut, category: reply.category },
    });
    return reply;
  });
}

/** Changes a quick reply the caller may change (see assertMayChange); audited. */
export async function updateQuickReply(ctx: RequestContext, input: QuickReplyUpdateInput): Promise<QuickReply> {
  await validateInput(input);
  return ctx.transaction(async (tx) => {
    const reply = await replyForInput(ctx, tx.em, input.id);
    assertMayChange(ctx, reply);
    const changes: Record<string, unknown> = {};
    if (input.title != null) changes.title = input.title.trim();
    if (input.content != null) changes.content = input.content.trim();
    if (input.category !== undefined) changes.category = input.category?.trim() ?? null;
    if (input.shortcut !== undefined) {
      changes.shortcut = shortcutOf(input.shortcut);
      await assertShortcutFree(tx.em, changes.shortcut as string | null, reply.owner?.id ?? null, reply.id);
    }
    tx.em.assign(reply, changes);
    tx.audit({ action: 'conversations.quickReply.update', subjectType: 'QuickReply', subjectId: reply.id, changes });
    return reply;
  });
}

/** Deletes a quick reply the caller may change; audited. */
export async function deleteQuickReply(ctx: RequestContext, globalId: string): Promise<string> {
  return ctx.transaction(async (tx) => {
    const reply = await replyForInput(ctx, tx.em, globalId);
    assertMayChange(ctx, reply);
    tx.em.remove(reply);
    tx.audit({ action: 'conversations.quickReply.delete', subjectType: 'QuickReply', subjectId: reply.id, changes: { title: reply.title } });
    return reply.globalId;
  });
}
