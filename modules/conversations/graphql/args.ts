import { ArgsType } from 'type-graphql';
import { defineSort, SortDirection } from '../../../src/graphql/connection';

export const CHANNEL_SORT = defineSort('Channel', {
  CREATED_AT: { property: 'createdAt', type: 'timestamp', direction: SortDirection.DESC, description: 'When it was created' },
  NAME: { property: 'name', type: 'text', direction: SortDirection.ASC, description: 'Name' },
}, 'CREATED_AT');

@ArgsType()
export class ChannelsArgs extends CHANNEL_SORT.Args {}
