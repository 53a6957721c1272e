import type { ModuleDefinition } from '../src/kernel/module';
import { customersModule } from './customers';
import { conversationsModule } from './conversations';

/**
 * The feature modules, in the order their schema parts and demo data are added; a module comes after the modules
 * it `requires` (checked at start). src/main.ts hands this list to startApp. A module is added here by hand:
 * nothing is discovered by globbing, so what runs is what this list says.
 */
export const featureModules: ModuleDefinition[] = [customersModule, conversationsModule];
