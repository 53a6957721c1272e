import { featureModules } from '../../modules';
import { auditModule } from '../audit';
import { identityModule } from '../auth';
import { demoModule } from './demo';
import { ModuleRegistry } from './module';

/** The platform's own modules (identity, audit, demo seeding) first, then the feature modules of modules/index.ts. */
export function createRegistry(): ModuleRegistry {
  return new ModuleRegistry([identityModule, auditModule, demoModule, ...featureModules]);
}
