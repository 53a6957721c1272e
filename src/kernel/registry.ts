import { featureModules } from '../../modules';
import { auditModule } from '../audit';
import { identityModule } from '../auth';
import { ModuleRegistry } from './module';

/** The platform's own modules first, then the feature modules of modules/index.ts. */
export function createRegistry(): ModuleRegistry {
  return new ModuleRegistry([identityModule, auditModule, ...featureModules]);
}
