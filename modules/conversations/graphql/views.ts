import { ArgsType } from 'type-graphql';
import { defineSort, SortDirection } from '../../../src/graphql/connection';

/** Conversation lists (a customer's history, the search): newest first. */
export const CONVERSATION_SORT = defineSort('Conversation', {
  CREATED_AT: { property: 'createdAt', type: 'timestamp', direction: SortDirection.DESC, description: 'When it was started' },
}, 'CREATED_AT');

@ArgsType()
export class CustomerConversationsArgs extends CONVERSATION_SORT.Args {}
