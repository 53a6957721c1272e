import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261125165245_Initial } from './Migration20261125165245_Initial';
import { Migration20261125170707_Customers } from './Migration20261125170707_Customers';
import { Migration20261125172446_LoginFailures } from './Migration20261125172446_LoginFailures';
import { Migration20261125173741_DemoSeeds } from './Migration20261125173741_DemoSeeds';
import { Migration20261125174304_TagVersion } from './Migration20261125174304_TagVersion';
import { Migration20261125182000_CustomerChildrenNoCascade } from './Migration20261125182000_CustomerChildrenNoCascade';
import { Migration20261130080500_AmericanNames } from './Migration20261130080500_AmericanNames';
import { Migration20261130081344_LookupIndexes } from './Migration20261130081344_LookupIndexes';
import { Migration20261130083000_LoginFailuresPerClient } from './Migration20261130083000_LoginFailuresPerClient';
import { Migration20261130084500_WorkspaceTimeZone } from './Migration20261130084500_WorkspaceTimeZone';
import { Migration20261130091915_PasswordResets } from './Migration20261130091915_PasswordResets';
import { Migration20261130110000_EventLog } from './Migration20261130110000_EventLog';
import { Migration20261130110500_Webhooks } from './Migration20261130110500_Webhooks';
import { Migration20261130113000_WorkspaceKeys } from './Migration20261130113000_WorkspaceKeys';
import { Migration20261130131119_GuestActor } from './Migration20261130131119_GuestActor';
import { Migration20261130133000_Conversations } from './Migration20261130133000_Conversations';
import { Migration20261130133027_QuickReplyShortcuts } from './Migration20261130133027_QuickReplyShortcuts';
import { Migration20261130140132_ConversationHandlingIndex } from './Migration20261130140132_ConversationHandlingIndex';
import { Migration20261130143340_PageViewTimes } from './Migration20261130143340_PageViewTimes';

/**
 * Every migration, in order. Listed explicitly (not globbed) so that compiled and test runs load the same set.
 * `npm run migration:create -- <Name>` writes a new file; add it here.
 */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261125165245_Initial', class: Migration20261125165245_Initial },
  { name: 'Migration20261125170707_Customers', class: Migration20261125170707_Customers },
  { name: 'Migration20261125172446_LoginFailures', class: Migration20261125172446_LoginFailures },
  { name: 'Migration20261125173741_DemoSeeds', class: Migration20261125173741_DemoSeeds },
  { name: 'Migration20261125174304_TagVersion', class: Migration20261125174304_TagVersion },
  { name: 'Migration20261125182000_CustomerChildrenNoCascade', class: Migration20261125182000_CustomerChildrenNoCascade },
  { name: 'Migration20261130080500_AmericanNames', class: Migration20261130080500_AmericanNames },
  { name: 'Migration20261130081344_LookupIndexes', class: Migration20261130081344_LookupIndexes },
  { name: 'Migration20261130083000_LoginFailuresPerClient', class: Migration20261130083000_LoginFailuresPerClient },
  { name: 'Migration20261130084500_WorkspaceTimeZone', class: Migration20261130084500_WorkspaceTimeZone },
  { name: 'Migration20261130091915_PasswordResets', class: Migration20261130091915_PasswordResets },
  { name: 'Migration20261130110000_EventLog', class: Migration20261130110000_EventLog },
  { name: 'Migration20261130110500_Webhooks', class: Migration20261130110500_Webhooks },
  { name: 'Migration20261130113000_WorkspaceKeys', class: Migration20261130113000_WorkspaceKeys },
  { name: 'Migration20261130131119_GuestActor', class: Migration20261130131119_GuestActor },
  { name: 'Migration20261130133000_Conversations', class: Migration20261130133000_Conversations },
  { name: 'Migration20261130133027_QuickReplyShortcuts', class: Migration20261130133027_QuickReplyShortcuts },
  { name: 'Migration20261130140132_ConversationHandlingIndex', class: Migration20261130140132_ConversationHandlingIndex },
  { name: 'Migration20261130143340_PageViewTimes', class: Migration20261130143340_PageViewTimes },
];
