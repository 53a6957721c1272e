import 'reflect-metadata';
import { featureModules } from '../modules';
import { startApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { liveProbeModule } from './live-module';

/**
 * One server instance of the live-updates benchmark (bench/live.ts): the product's modules plus the liveProbe module
 * (a subscription filtered by a ref, typing signals), configured from the environment like src/main.ts. SIGTERM stops
 * it gracefully.
 */
async function main() {
  const config = loadConfig();
  const app = await startApp(config, createLogger(config), { modules: [...featureModules, liveProbeModule] });
  process.once('SIGTERM', () => void app.stop().then(() => process.exit(0)));
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
