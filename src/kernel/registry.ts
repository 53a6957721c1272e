import { featureModules } from '../../modules';
import { auditModule } from '../audit';
import { identityModule } from '../auth';
import { jobsModule } from '../jobs';
import { webhooksModule } from '../webhooks';
import { demoModule } from './demo';
import { ModuleRegistry, type ModuleDefinition } from './module';

/**
 * The platform's own modules (identity, audit, jobs, webhooks, demo seeding) first, then the feature modules of modules/index.ts;
 * tests may append modules of their own (contribution-only ones, since their tables would have no migration).
 */
export function createRegistry(extraModules: ModuleDefinition[] = []): ModuleRegistry {
  return new ModuleRegistry([identityModule, auditModule, jobsModule, webhooksModule, demoModule, ...featureModules, ...extraModules]);
}
