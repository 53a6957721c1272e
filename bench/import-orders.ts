import 'reflect-metadata';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { featureModules } from '../modules';
import { startApp } from '../src/app';
import { loadConfig } from '../src/config';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { graphql } from './support';

/**
 * `npm run bench:import`: loads the CDNOW purchase log (23,570 customers, 69,659 purchases) through `ordersImport`
 * in calls of 1,000 over HTTP, as a partner would, and reports the time and orders per second. The server runs in
 * this process on a fresh embedded PostgreSQL with its durable defaults (fsync on, unlike the tests), so the
 * client's JSON work counts against the same cores. Target (issue 3): 70,000 orders in under a minute.
 */
const DATA_FILE = process.env.CDNOW_FILE ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'data', 'cdnow-transactions.txt');
const BATCH = 1000;

interface Row { customerExternalId: string; externalId: string; placedAt: string; totalAmount: string }

function readPurchases(): Row[] {
  const lines = readFileSync(DATA_FILE, 'utf8').split(/\r?\n/).slice(1).filter((line) => line.trim());
  return lines.map((line, index) => {
    const [customerId, date, , dollars] = line.trim().split(/\s+/);
    return {
      customerExternalId: customerId,
      // One line is one purchase; a customer may buy twice on a day, so the line number is the order's id.
      externalId: `cdnow-${index + 1}`,
      placedAt: `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T00:00:00Z`,
      totalAmount: dollars,
    };
  });
}

async function main() {
  const purchases = readPurchases();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'service-desk-bench-'));
  const database = await startEmbeddedPostgres({ dataDir });
  const config = loadConfig({ NODE_ENV: 'development', PORT: '0', DATABASE_URL: database.url, DEMO_DATA: 'false', LOG_LEVEL: 'warn', JOB_WORKERS: 'false',
    RATE_LIMIT_MAXIMUM: '1000000000', RATE_LIMIT_RESTORE_RATE: '1000000000' }); // one client imports as fast as it can
  const app = await startApp(config, pino({ level: config.logLevel }), { modules: featureModules });
  try {
    const signUp = await graphql(app.url, `mutation($input: SignUpInput!) { signUp(input: $input) { token userErrors { message } } }`, {
      input: { workspaceName: 'CDNOW 基准', email: 'bench@cdnow.example', password: 'bench-password', displayName: 'bench' },
    });
    const token: string = signUp.signUp.token;
    const importOrders = `mutation($input: OrdersImportInput!) { ordersImport(input: $input) { importedCount createdCustomers userErrors { index message } } }`;
    let imported = 0;
    let createdCustomers = 0;
    const started = process.hrtime.bigint();
    for (let offset = 0; offset < purchases.length; offset += BATCH) {
      const orders = purchases.slice(offset, offset + BATCH).map((p) => ({ ...p, platform: 'cdnow', currency: 'USD', status: 'COMPLETED' }));
      const result = (await graphql(app.url, importOrders, { input: { orders } }, token)).ordersImport;
      if (result.userErrors.length) throw new Error(`rows refused: ${JSON.stringify(result.userErrors.slice(0, 3))}`);
      imported += result.importedCount;
      createdCustomers += result.createdCustomers;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const check = await graphql(app.url, `{ customers(first: 1) { totalCount } }`, {}, token);
    console.log(JSON.stringify({
      orders: imported, calls: Math.ceil(purchases.length / BATCH), createdCustomers, customersInWorkspace: check.customers.totalCount,
      seconds: Number(seconds.toFixed(2)), ordersPerSecond: Math.round(imported / seconds), cpus: os.cpus().length, node: process.version,
    }));
  } finally {
    await app.stop();
    await database.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
