import { defineLoader } from '../../../src/context/loaders';
import { entityColumns, WORKSPACE, workspaceSql } from '../../../src/db/workspace-sql';
import { Message } from '../entities/conversation';

/**
 * Each conversation's last message as a list shows it (internal notes left out, as for lastMessageAt), in one
 * statement for a whole page: per conversation, the unique (conversation, seq) index read backwards to the first
 * message that is not a note.
 */
export const lastMessageOf = defineLoader<string, Message | null>('conversations.lastMessageOf', async (ids, ctx) => {
  const rows = await workspaceSql(ctx)<Record<string, unknown>>`
    select ${entityColumns(ctx.em, Message, 'm')} from unnest(${[...ids]}::uuid[]) as c(id)
    cross join lateral (
      select * from message m where m.workspace_id = ${WORKSPACE} and m.conversation_id = c.id and m.kind <> 'NOTE'
      order by m.seq desc limit 1
    ) m`;
  const byConversation = new Map(rows.map((row) => [row.conversation_id as string, ctx.em.map(Message, row as any)]));
  return ids.map((id) => byConversation.get(id) ?? null);
});
