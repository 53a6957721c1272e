import type { RequestContext, WriteTransaction } from '../../../src/context';
import { sqlFragment, WORKSPACE, workspaceSql } from '../../../src/db/workspace-sql';
import { defineNestedConnection } from '../../../src/graphql/nested-connection';
import { ERASED_TEXT, type PersonalDataHandler } from '../../customers';
import { Conversation, Message } from '../entities/conversation';
import { PageView, Visitor } from '../entities/visitor';
import { CONVERSATION_SORT } from '../graphql/views';

/**
 * `Customer.conversations`: the customer's history 历史会话 for the workbench, every conversation whoever served it
 * (other agents, the bot alone), newest first; a page of it for a whole customer list in one statement.
 */
export const conversationsOfCustomer = defineNestedConnection({
  name: 'conversations.conversationsOfCustomer', entity: Conversation, parentKey: 'customer', sort: CONVERSATION_SORT,
});

const iso = (value: Date | null | undefined) => value?.toISOString() ?? null;

/**
 * This module's part of the customers' privacy rights (customers' PERSONAL_DATA point): what the shop holds about the
 * customer here, i.e. their conversations with their messages (internal notes included: they are about the
 * customer too) and the visitors they were on each channel, with their browsing trail.
 */
export const conversationsPersonalData: PersonalDataHandler = {
  async export(ctx: RequestContext, customerId: string) {
    const em = ctx.em;
    const [conversations, visitors] = await Promise.all([
      em.find(Conversation, { customer: customerId }, { orderBy: { createdAt: 'asc', id: 'asc' }, populate: ['channel'] }),
      em.find(Visitor, { customer: customerId }, { orderBy: { createdAt: 'asc', id: 'asc' }, populate: ['channel'] }),
    ]);
    const [messages, pageViews] = await Promise.all([
      conversations.length ? em.find(Message, { conversation: { $in: conversations.map((c) => c.id) } }, { orderBy: { seq: 'asc' } }) : [],
      visitors.length ? em.find(PageView, { visitor: { $in: visitors.map((v) => v.id) } }, { orderBy: { viewedAt: 'asc', id: 'asc' } }) : [],
    ]);
    return {
      conversations: conversations.map((c) => ({
        id: c.id, channel: c.channel.name, status: c.status, context: c.context, startedAt: iso(c.createdAt), closedAt: iso(c.closedAt),
        rating: c.ratedAt ? { score: c.ratingScore, tags: c.ratingTags, comment: c.ratingComment ?? null, ratedAt: iso(c.ratedAt) } : null,
        messages: messages.filter((m) => m.conversation.id === c.id).map((m) => ({
          seq: m.seq, authorKind: m.authorKind, kind: m.kind, content: m.content, sentAt: iso(m.createdAt),
        })),
      })),
      visitors: visitors.map((v) => ({
        channel: v.channel.name, externalId: v.externalId ?? null, context: v.context, firstSeenAt: iso(v.createdAt), lastSeenAt: iso(v.lastSeenAt),
        pageViews: pageViews.filter((p) => p.visitor.id === v.id).map((p) => ({ url: p.url, title: p.title ?? null, viewedAt: iso(p.viewedAt) })),
      })),
    };
  },

  /**
   * What the customer wrote, what was written to or about them, and what describes them becomes ERASED_TEXT: the
   * content of every message of their conversations, whoever wrote it (an agent's reply or internal note can quote
   * the customer: a phone number typed back, an address; nobody can tell which do, so all go), every field of the
   * visitor context on conversations and visitors, the pages of their browsing trail and their rating comment; the
   * channel's id of them (an openid) goes. An image, link, rich text or emoji becomes TEXT with that text; a note
   * stays a NOTE, so it is still never shown to the visitor. Author kinds, seqs, times, scores and tags stay:
   * anonymous facts the shop's figures need.
   */
  async erase(tx: WriteTransaction, customerId: string) {
    const sql = workspaceSql(tx);
    // Each field the context has, with the placeholder as its value.
    const erasedContext = sqlFragment`(select coalesce(jsonb_object_agg(key, ${ERASED_TEXT}::text), '{}'::jsonb) from jsonb_each(context))`;
    await sql`
      update message m set content = ${ERASED_TEXT}, kind = case when m.kind = 'NOTE' then m.kind else 'TEXT' end
      from conversation c
      where m.workspace_id = ${WORKSPACE} and c.workspace_id = m.workspace_id and c.id = m.conversation_id
        and c.customer_id = ${customerId}`;
    await sql`
      update conversation set context = ${erasedContext},
        rating_comment = case when rating_comment is null then null else ${ERASED_TEXT} end
      where workspace_id = ${WORKSPACE} and customer_id = ${customerId}`;
    await sql`
      update page_view p set url = ${ERASED_TEXT}, title = null
      from visitor v
      where p.workspace_id = ${WORKSPACE} and v.workspace_id = p.workspace_id and v.id = p.visitor_id and v.customer_id = ${customerId}`;
    await sql`
      update visitor set context = ${erasedContext}, external_id = null
      where workspace_id = ${WORKSPACE} and customer_id = ${customerId}`;
  },

  /** The merged customer's conversations and visitors become the kept one's (its history shows them all). */
  async merge(tx: WriteTransaction, keepId: string, mergeId: string) {
    await tx.em.nativeUpdate(Conversation, { customer: mergeId }, { customer: keepId });
    await tx.em.nativeUpdate(Visitor, { customer: mergeId }, { customer: keepId });
  },
};
