import { defineSort, SortDirection } from '../../../src/graphql/connection';

export const SERVICE_GROUP_SORT = defineSort('ServiceGroup', {
  NAME: { property: 'name', type: 'text', direction: SortDirection.ASC, description: 'Name' },
  CREATED_AT: { property: 'createdAt', type: 'timestamp', direction: SortDirection.DESC, description: 'When it was created' },
}, 'NAME');
