import { auditModule } from '../audit';
import { identityModule } from '../auth';
import { jobsModule } from '../jobs';
import { webhooksModule } from '../webhooks';
import { demoModule } from './demo';
import { ModuleRegistry, type ModuleDefinition } from './module';

/**
 * The platform's own modules (identity, audit, jobs, webhooks, demo seeding) first, then the feature modules in the
 * order given. The platform never imports modules/: the feature modules are handed in by the composition root
 * (src/main.ts passes modules/index.ts's list; tests, scripts and benchmarks pass theirs).
 */
export function createRegistry(featureModules: ModuleDefinition[]): ModuleRegistry {
  return new ModuleRegistry([identityModule, auditModule, jobsModule, webhooksModule, demoModule, ...featureModules]);
}
