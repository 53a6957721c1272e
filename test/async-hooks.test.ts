import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../src/db/embedded-postgres';
import { signUpWorkspace } from './support/fixtures';
import { dataOf, gql } from './support/client';
import { createTestDatabase } from './support/database';

/**
 * On Node 20 an AsyncLocalStorage entered once turns on promise hooks for the whole process, and every later request
 * pays them (src/db/async-context.ts). A server that has written must still run without them. Checked in a server
 * process of its own: Jest itself enters an AsyncLocalStorage for every test.
 */
const root = path.join(__dirname, '..');
const PROBE = './test/support/promise-hook-probe.js';
const HOOKS_ON = 'PROMISE HOOKS ON';

jest.setTimeout(120_000);

function start(args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string; exited: Promise<unknown> } {
  const child = spawn(process.execPath, ['-r', PROBE, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return { child, output: () => output, exited: new Promise((resolve) => child.on('exit', resolve)) };
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('the probe sees promise hooks once an AsyncLocalStorage is entered', async () => {
  const control = start(['-e', 'new (require("node:async_hooks").AsyncLocalStorage)().run(1, () => {}); setTimeout(() => {}, 500)']);
  await control.exited;
  expect(control.output()).toContain(HOOKS_ON);
});

it('a server that has written, with events, reactions and jobs, runs without promise hooks', async () => {
  const database = await createTestDatabase();
  const port = await freePort();
  const server = start(['-r', './scripts/swc-register.js', 'src/main.ts'], {
    NODE_ENV: 'test', PORT: String(port), DATABASE_URL: database.url, DEMO_DATA: 'false', LOG_LEVEL: 'warn', EXPOSE_SQL_COUNT: 'false',
  });
  const url = `http://127.0.0.1:${port}/graphql`;
  try {
    for (const deadline = Date.now() + 90_000; ; ) {
      if (server.child.exitCode !== null || Date.now() > deadline) throw new Error(`the server did not start:\n${server.output()}`);
      if (await fetch(url.replace('/graphql', '/healthz')).then((r) => r.ok, () => false)) break;
      await settle(200);
    }
    // Writes through ctx.transaction (flush, events, a reaction job), nested and not, then reads.
    const owner = await signUpWorkspace(url);
    const created = await gql(url, `mutation { customerCreate(input: { name: "王芳", phone: "13800138000" }) { customer { id } userErrors { code } } }`, {}, owner.token);
    expect(dataOf(created).customerCreate.userErrors).toEqual([]);
    const tagged = await gql(url, `mutation { tagCreate(input: { name: "常客", group: CONSUMPTION }) { tag { id } userErrors { code } } }`, {}, owner.token);
    expect(dataOf(tagged).tagCreate.userErrors).toEqual([]);
    const me = await gql(url, '{ me { id email } }', {}, owner.token);
    expect(dataOf(me).me.email).toBeTruthy();
    await settle(1_000); // reactions and jobs run on this instance's workers
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  expect(server.output()).not.toContain(HOOKS_ON);
});
