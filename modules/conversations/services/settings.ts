import { randomUUID } from 'node:crypto';
import type { RequestContext, WriteTransaction } from '../../../src/context';
import { WORKSPACE, workspaceSql } from '../../../src/db/workspace-sql';
import { UserError, UserErrorCode, UserInputFailure, validateInput } from '../../../src/graphql/user-errors';
import { ConversationSettings } from '../entities/quick-reply';
import type { ConversationSettingsUpdateInput } from '../graphql/setup-inputs';

/**
 * The workspace's conversation settings, made with the defaults (entities/quick-reply.ts) when first read. Two
 * first reads at once, on any instances, make one row: the insert is `on conflict do nothing` against the unique
 * workspace_id (it waits for the other insert to commit), and both then read the row that won.
 */
export async function conversationSettingsOf(scope: RequestContext | WriteTransaction): Promise<ConversationSettings> {
  const found = await scope.em.findOne(ConversationSettings, {});
  if (found) return found;
  const defaults = new ConversationSettings();
  // Timestamps from the application (milliseconds, like the ORM's), not now(): see customers' services/orders.ts.
  const stamp = new Date().toISOString();
  await workspaceSql(scope)`
    insert into conversation_settings (id, created_at, updated_at, workspace_id, rating_tags, reassign_after_silence_seconds)
    values (${randomUUID()}, ${stamp}::timestamptz, ${stamp}::timestamptz, ${WORKSPACE},
            array(select jsonb_array_elements_text(${JSON.stringify(defaults.ratingTags)}::jsonb)), null)
    on conflict (workspace_id) do nothing`;
  return scope.em.findOneOrFail(ConversationSettings, {});
}

/** Changes the rating tags or the silence reassignment (the last writer wins, field by field); audited. */
export async function updateConversationSettings(ctx: RequestContext, input: ConversationSettingsUpdateInput): Promise<ConversationSettings> {
  await validateInput(input);
  return ctx.transaction(async (tx) => {
    const settings = await conversationSettingsOf(tx);
    const changes: Record<string, unknown> = {};
    if (input.ratingTags != null) {
      const tags = input.ratingTags.map((tag) => tag.trim());
      const problems = tags.flatMap((tag, i) => (tags.indexOf(tag) < i
        ? [UserError.of(['input', 'ratingTags', String(i)], `${tag} is listed twice`, UserErrorCode.DUPLICATE)]
        : []));
      if (problems.length) throw new UserInputFailure(problems);
      changes.ratingTags = tags;
    }
    if (input.reassignAfterSilenceSeconds !== undefined) changes.reassignAfterSilenceSeconds = input.reassignAfterSilenceSeconds;
    tx.em.assign(settings, changes);
    tx.audit({ action: 'conversations.settings.update', subjectType: 'ConversationSettings', subjectId: settings.id, changes });
    return settings;
  });
}
