import { ArgsType, Field, ID, ObjectType } from 'type-graphql';
import { defineSort, SortDirection } from '../../../src/graphql/connection';
import { MutationPayload } from '../../../src/graphql/user-errors';
import { Message } from '../entities/conversation';
import { Visitor } from '../entities/visitor';

/** A conversation's messages: in delivery order (seq). */
export const MESSAGE_SORT = defineSort('Message', {
  SEQ: { property: 'seq', type: 'integer', direction: SortDirection.ASC, description: 'Delivery order' },
}, 'SEQ');

/** A visitor's browsing trail: newest first. */
export const PAGE_VIEW_SORT = defineSort('PageView', {
  VIEWED_AT: { property: 'viewedAt', type: 'timestamp', direction: SortDirection.DESC, description: 'When it was viewed' },
}, 'VIEWED_AT');

/** Visitors: the most recently seen first (browsing now). */
export const VISITOR_SORT = defineSort('Visitor', {
  LAST_SEEN_AT: { property: 'lastSeenAt', type: 'timestamp', direction: SortDirection.DESC, description: 'When the visitor was last seen' },
}, 'LAST_SEEN_AT');

@ArgsType()
export class VisitorsArgs extends VISITOR_SORT.Args {
  @Field(() => ID, { nullable: true, description: "Only this channel's visitors" })
  channelId?: string | null;
}

@ObjectType({ description: 'Result of messageSend' })
export class MessageSendPayload extends MutationPayload {
  @Field(() => Message, { nullable: true, description: 'The message as stored (RICH_TEXT sanitised); null when userErrors is not empty' })
  message?: Message | null;
}

@ObjectType({ description: 'Result of visitorPageView' })
export class VisitorPageViewPayload extends MutationPayload {
  @Field(() => Visitor, { nullable: true, description: 'The visitor (new on a first visit)' })
  visitor?: Visitor | null;

  @Field(() => String, { nullable: true, description: "The visitor's token (`gt_…`, 30 days), new or renewed: keep it and send it as `Authorization: Bearer …`" })
  visitorToken?: string | null;
}
