import { ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../src/db/embedded-postgres';
import { DEMO } from '../src/kernel/demo';
import { order } from './customers-fixtures';
import { dataOf, gql } from './support/client';

/** `npm start` as a user runs it: its own process, the embedded database in DATA_DIR, demo data, signals. */
const root = path.join(__dirname, '..');

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `ownGroup`: the child leads its own process group, as a shell's foreground job does, so a test can signal the group. */
function run(command: string[], env: Record<string, string>, { ownGroup = false } = {}): Started {
  const child = spawn(command[0], command.slice(1), {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: ownGroup,
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

function runMain(env: Record<string, string>, options: { ownGroup?: boolean } = {}): Started {
  return run([process.execPath, '-r', './scripts/swc-register.js', 'src/main.ts'], env, options);
}

async function waitForOutput(started: Started, text: string, { times = 1, timeoutMs = 150_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (started.output().split(text).length - 1 < times) {
    if (Date.now() > deadline || started.child.exitCode !== null) throw new Error(`never printed "${text}" ${times} times:\n${started.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function postgresPid(dataDir: string): number {
  return Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

jest.setTimeout(180_000); // each test starts whole servers (initdb, migrations, demo data): slow on a busy machine

it('starts on an embedded database with demo data, refuses a second start, stops cleanly and keeps the data', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'service-desk-main-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/graphql`;
  const first = runMain({ DATA_DIR: dataDir, PORT: String(port) });
  try {
    await waitForOutput(first, 'Demo partner API key');
    expect(first.output()).toContain('(created now)');
    expect(first.output()).toContain(DEMO.apiKeySecret);

    const login = dataOf(await gql(url, `mutation($e: String!, $p: String!) { login(input: { email: $e, password: $p }) { token user { role workspace { name } } } }`, { e: DEMO.users[2].email, p: DEMO.password }));
    expect(login.login.user).toEqual({ role: 'AGENT', workspace: { name: DEMO.workspaceName } });
    const viewer = dataOf(await gql(url, `{ viewer { kind apiKey { name } } }`, {}, DEMO.apiKeySecret));
    expect(viewer.viewer).toEqual({ kind: 'API_KEY', apiKey: { name: DEMO.apiKeyName } });
    // the playground is served to browsers at /graphql
    const page = await fetch(url, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).toContain('text/html');

    const sameFolder = runMain({ DATA_DIR: dataDir, PORT: String(await freePort()) });
    expect(await sameFolder.exited).toBe(1);
    expect(sameFolder.output()).toMatch(/in use by another server .*Is `npm start` already running\?/);

    const samePort = runMain({ DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'service-desk-main-')), PORT: String(port) });
    expect(await samePort.exited).toBe(1);
    expect(samePort.output()).toContain(`Port ${port} is taken`);
  } finally {
    first.child.kill('SIGTERM');
  }
  expect(await first.exited).toBe(0);
  expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  expect(existsSync(path.join(dataDir, 'server.pid'))).toBe(false);

  const again = runMain({ DATA_DIR: dataDir, PORT: String(port) });
  try {
    await waitForOutput(again, 'Demo partner API key');
    expect(again.output()).not.toContain('(created now)');
    expect(dataOf(await gql(url, `{ viewer { kind } }`, {}, DEMO.apiKeySecret)).viewer.kind).toBe('API_KEY');
  } finally {
    again.child.kill('SIGINT');
  }
  expect(await again.exited).toBe(0);
});

it('refuses bad configuration with a message naming the variable', async () => {
  const production = runMain({ NODE_ENV: 'production', DATABASE_URL: '' });
  expect(await production.exited).toBe(2);
  expect(production.output()).toContain('DATABASE_URL is required when NODE_ENV=production');
  const badPort = runMain({ PORT: 'eighty' });
  expect(await badPort.exited).toBe(2);
  expect(badPort.output()).toContain('PORT must be a whole number');
});

// Only root runs postgres as another user; a normal user may always enter their own folders.
const asRoot = process.getuid?.() === 0 ? it : it.skip;

asRoot('as root, says before initdb that the postgres user cannot reach a DATA_DIR under a private folder, and what to do', async () => {
  const privateParent = mkdtempSync(path.join(os.tmpdir(), 'service-desk-private-'));
  chmodSync(privateParent, 0o700);
  const dataDir = path.join(privateParent, 'data');
  const server = runMain({ DATA_DIR: dataDir, PORT: String(await freePort()) });
  expect(await server.exited).toBe(1);
  expect(server.output()).toContain(`cannot reach the data folder ${dataDir} because it may not enter ${privateParent} (mode 700)`);
  expect(server.output()).toContain('Set DATA_DIR to a folder it can reach');
  expect(server.output()).not.toMatch(/initdb|EACCES|\n\s+at /);
  expect(existsSync(path.join(dataDir, 'postgres'))).toBe(false);
  rmSync(privateParent, { recursive: true, force: true });
});

it('on Ctrl-C (SIGINT to the whole process group) finishes the request in flight, then stops the database and exits', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'service-desk-main-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/graphql`;
  const server = runMain({ DATA_DIR: dataDir, PORT: String(port) }, { ownGroup: true });
  try {
    await waitForOutput(server, 'Demo partner API key');
  } catch (error) {
    process.kill(-server.child.pid!, 'SIGKILL');
    throw error;
  }
  const postgres = postgresPid(dataDir);
  const orders = Array.from({ length: 1000 }, (_, i) => order({ externalId: `DRAIN-${i}`, customerExternalId: `buyer-${i % 300}` }));
  // Send the whole request, let the server read it, then press "Ctrl-C" while the import is running: a terminal
  // signals every process of its foreground group, so the database must not be in that group.
  const body = JSON.stringify({ query: `mutation($input: OrdersImportInput!) { ordersImport(input: $input) { importedCount userErrors { index } } }`, variables: { input: { orders } } });
  const result = await new Promise<any>((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${DEMO.apiKeySecret}` } }, (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve(JSON.parse(text)));
    });
    request.on('error', reject);
    request.end(body, () => setTimeout(() => process.kill(-server.child.pid!, 'SIGINT'), 50));
  });
  expect(dataOf<any>(result).ordersImport).toEqual({ importedCount: 1000, userErrors: [] });
  expect(await server.exited).toBe(0);
  expect(isAlive(postgres)).toBe(false);
  expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
});

it('`npm run dev` restarts when a source file is saved: the old run stops its database, the new run starts; Ctrl-C stops all', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'service-desk-dev-'));
  const port = await freePort();
  const dev = run(['npm', 'run', 'dev'], { DATA_DIR: dataDir, PORT: String(port) }, { ownGroup: true });
  try {
    await waitForOutput(dev, 'Demo partner API key');
    const firstPostgres = postgresPid(dataDir);
    const now = new Date();
    utimesSync(path.join(root, 'src', 'main.ts'), now, now); // "saved" without a change
    await waitForOutput(dev, 'Demo partner API key', { times: 2 });
    expect(dev.output()).not.toContain('in use by another server');
    expect(isAlive(firstPostgres)).toBe(false);
    const secondPostgres = postgresPid(dataDir);
    expect(secondPostgres).not.toBe(firstPostgres);
    expect(dataOf(await gql(`http://127.0.0.1:${port}/graphql`, `{ viewer { kind } }`, {}, DEMO.apiKeySecret)).viewer.kind).toBe('API_KEY');

    process.kill(-dev.child.pid!, 'SIGINT');
    await dev.exited;
    expect(isAlive(secondPostgres)).toBe(false);
    expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'server.pid'))).toBe(false);
  } finally {
    if (dev.child.exitCode === null && dev.child.signalCode === null) process.kill(-dev.child.pid!, 'SIGINT');
  }
});
