import { defineNestedConnection } from '../../../src/graphql/nested-connection';
import { Message } from '../entities/conversation';
import { MessageKind } from '../entities/enums';
import { PageView } from '../entities/visitor';
import { MESSAGE_SORT, PAGE_VIEW_SORT } from '../graphql/message-types';

/*
 * `Conversation.messages` and `Visitor.pageViews`: connections inside lists (a workbench's conversations, a list of
 * visitors), whose first or last pages and counts are read for the whole list at once (src/graphql/nested-connection.ts).
 */

/** A conversation's messages in delivery order; a visitor's pages and counts leave internal notes out in SQL. */
export const messagesOfConversation = defineNestedConnection({
  name: 'conversations.messagesOfConversation', entity: Message, parentKey: 'conversation', sort: MESSAGE_SORT,
  hidden: (ctx) => (ctx.guest ? { property: 'kind', value: MessageKind.NOTE } : undefined),
});

/** A visitor's browsing trail, newest first. */
export const pageViewsOfVisitor = defineNestedConnection({ name: 'conversations.pageViewsOfVisitor', entity: PageView, parentKey: 'visitor', sort: PAGE_VIEW_SORT });
