import { randomUUID } from 'node:crypto';
import type { RequestContext, WriteTransaction } from '../../../src/context';
import { WORKSPACE, workspaceSql } from '../../../src/db/workspace-sql';
import { UserError, UserErrorCode, UserInputFailure, validateInput } from '../../../src/graphql/user-errors';
import { ConversationSettings } from '../entities/quick-reply';
import type { ConversationSettingsUpdateInput } from '../graphql/setup-inputs';

/**
 * The workspace's conversation settings: its row, or until a manager first changes them, the defaults
 * (entities/quick-reply.ts), unsaved: a read writes nothing.
 */
export async function conversationSettingsOf(scope: RequestContext | WriteTransaction): Promise<ConversationSettings> {
  return (await scope.em.findOne(ConversationSettings, {})) ?? new ConversationSettings();
}

/**
 * The workspace's settings row for a change, made with the defaults on the first change. Two first changes at once,
 * on any instances, make one row: the insert is `on conflict do nothing` against the unique workspace_id (it waits
 * for the other insert to commit), and both then change the row that won.
 */
async function settingsRowToChange(tx: WriteTransaction): Promise<ConversationSettings> {
  const found = await tx.em.findOne(ConversationSettings, {});
  if (found) return found;
  const defaults = new ConversationSettings();
  // Timestamps from the application (milliseconds, like the ORM's), not now(): see customers' services/orders.ts.
  const stamp = new Date().toISOString();
  await workspaceSql(tx)`
    insert into conversation_settings (id, created_at, updated_at, workspace_id, rating_tags, reassign_after_silence_seconds)
    values (${randomUUID()}, ${stamp}::timestamptz, ${stamp}::timestamptz, ${WORKSPACE},
            array(select jsonb_array_elements_text(${JSON.stringify(defaults.ratingTags)}::jsonb)), null)
    on conflict (workspace_id) do nothing`;
  return tx.em.findOneOrFail(ConversationSettings, {});
}

/** Changes the rating tags or the silence reassignment (the last writer wins, field by field); audited. */
export async function updateConversationSettings(ctx: RequestContext, input: ConversationSettingsUpdateInput): Promise<ConversationSettings> {
  await validateInput(input);
  return ctx.transaction(async (tx) => {
    const settings = await settingsRowToChange(tx);
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
