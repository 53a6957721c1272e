import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { dataOf, gql } from './support/client';
import { PASSWORD, signUpWorkspace, type SignedUp } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';

/** Debian's chromium; Playwright never downloads a browser here. .ci/run installs it; a fresh machine skips. */
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const describeInChromium = haveChromium ? describe : describe.skip;
const skipped = `SKIPPED: ${CHROMIUM} is absent (apt-get install chromium; .ci/run installs it)`;
if (!haveChromium) console.warn(`test/browser.test.ts ${skipped}`);
const title = haveChromium ? 'in headless Chromium' : `in headless Chromium (${skipped})`;

jest.setTimeout(120_000);

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost']);

let server: TestServer;
let shop: SignedUp;
/** Serves an empty page, standing for a front end of another origin: http://127.0.0.1:<port> is allowed by CORS_ORIGINS, http://localhost:<port> is not. */
let frontEnd: http.Server;
let frontEndPort: number;
let userDataDir: string;
let context: BrowserContext;
/** Every URL the browser asked for (pages, scripts, workers, fetches, WebSockets). */
const requested: string[] = [];
/** Those that left this machine: there must be none. */
const requestedElsewhere = () => requested.filter((url) => !['data:', 'blob:'].includes(new URL(url).protocol) && !LOCAL_HOSTS.has(new URL(url).hostname));

describeInChromium(title, () => {
  beforeAll(async () => {
    frontEnd = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>front end</title>'));
    await new Promise<void>((resolve) => frontEnd.listen(0, '127.0.0.1', resolve));
    frontEndPort = (frontEnd.address() as AddressInfo).port;
    server = await startTestServer({ env: { CORS_ORIGINS: `http://127.0.0.1:${frontEndPort}` } });
    shop = await signUpWorkspace(server.url, '浏览器小店');

    userDataDir = mkdtempSync(path.join(os.tmpdir(), 'service-desk-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1400, height: 900 },
    });
    context.on('request', (request) => requested.push(request.url()));
    context.on('page', (page) => page.on('websocket', (socket) => requested.push(socket.url())));
    // As without internet: anything not on this machine fails (and is recorded above, so the tests can see it).
    await context.route('**/*', (route) => (LOCAL_HOSTS.has(new URL(route.request().url()).hostname) ? route.continue() : route.abort('internetdisconnected')));
  });

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    await server?.stop();
    await new Promise((resolve) => frontEnd?.close(resolve));
  });

  describe('the playground at /graphql', () => {
    let page: Page;
    const response = () => page.locator('.graphiql-response .view-lines');
    const responseText = async () => ((await response().textContent()) ?? '').replace(/\u00a0/g, ' ');
    /** Waits until the result pane shows `text` (Monaco renders spaces as no-break spaces, which \s matches). */
    const responseShows = (text: RegExp, timeout?: number) => response().filter({ hasText: text }).waitFor({ timeout });
    /** Replaces the text of a Monaco editor as a person would: click, select all, type (inserted, so no auto-closed brackets). */
    async function typeInto(editor: string, text: string) {
      await page.locator(`${editor} .monaco-editor`).click();
      await page.keyboard.press('Control+A');
      await page.keyboard.insertText(text);
    }
    /** Types an operation, waits until GraphiQL took its name (the active tab is named after it), runs it. */
    async function run(name: string, operation: string) {
      await typeInto('.graphiql-query-editor', operation);
      await page.locator('.graphiql-tab-active', { hasText: name }).waitFor();
      await page.getByRole('button', { name: /Execute query/ }).click();
    }

    beforeAll(async () => {
      page = await context.newPage();
      await page.goto(server.url);
      await page.locator('.graphiql-query-editor .monaco-editor').waitFor();
    });

    it('renders GraphiQL from the server itself, with no request to another host', async () => {
      await page.getByRole('button', { name: /Execute query/ }).waitFor();
      expect(await page.locator('.graphiql-query-editor').textContent()).toContain('Authorization');
      // the schema loaded through the page's fetcher: the documentation explorer lists the root types
      await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
      await page.getByText('mutation:').waitFor();
      await page.screenshot({ path: path.join(os.tmpdir(), 'service-desk-playground.png') });
      await page.getByRole('button', { name: 'Hide Documentation Explorer' }).click();
      expect(requestedElsewhere()).toEqual([]);
      expect(requested).toContain(server.url);
    });

    it('logs in, takes the Authorization header typed in its Headers tab, and runs a subscription over graphql-ws with it', async () => {
      await run('SignIn', `mutation SignIn { login(input: { email: "${shop.email}", password: "${PASSWORD}" }) { token } }`);
      await responseShows(/"token":\s"st_/);
      const token = /"token": "(st_[^"]+)"/.exec(await responseText())![1];

      await page.locator('button[data-name="headers"]').click();
      await typeInto('.graphiql-editor-tool .graphiql-editor:not(.hidden)', `{ "Authorization": "Bearer ${token}" }`);
      await run('Who', 'query Who { viewer { kind user { email } } }');
      await responseShows(/"email"/);
      expect(await responseText()).toContain(`"email": "${shop.email}"`);

      // auditEntryAdded needs the owner's rights: an event arriving proves connectionParams.authorization was sent
      const sockets = requested.filter((url) => url.startsWith('ws:')).length;
      await run('Audit', 'subscription Audit { auditEntryAdded { position entry { action subjectType } } }');
      let received = false;
      // The subscription starts asynchronously on the server: create customers until one arrives (bounded).
      for (let attempt = 0; attempt < 40 && !received; attempt++) {
        dataOf(await gql(server.url, `mutation { customerCreate(input: { kind: INDIVIDUAL, name: "订阅测试${attempt}" }) { userErrors { code } } }`, {}, shop.token));
        received = await responseShows(/customers\.customer\.create/, 500).then(() => true, () => false);
      }
      expect(received).toBe(true);
      expect(await responseText()).toContain('"subjectType": "Customer"');
      expect(requested.filter((url) => url.startsWith('ws:')).slice(sockets)).toEqual([server.wsUrl]);
      expect(requestedElsewhere()).toEqual([]);
      await page.screenshot({ path: path.join(os.tmpdir(), 'service-desk-playground-subscription.png') });
    });
  });

  describe('a front end of another origin', () => {
    /** From a page of `origin`: a POST with a bearer token, and a WebSocket opened to the API. */
    async function callFrom(origin: string) {
      const page = await context.newPage();
      try {
        await page.goto(`${origin}/`);
        return await page.evaluate(
          async ({ url, wsUrl, token }) => {
            let post: unknown;
            try {
              const response = await fetch(url, {
                method: 'POST',
                headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
                body: JSON.stringify({ query: '{ viewer { kind } }' }),
              });
              post = { status: response.status, requestId: response.headers.get('x-request-id') !== null, body: await response.json() };
            } catch (error) {
              post = String(error);
            }
            const webSocket = await new Promise((resolve) => {
              const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
              socket.onopen = () => {
                socket.close();
                resolve('open');
              };
              socket.onerror = () => resolve('refused');
            });
            return { post, webSocket };
          },
          { url: server.url, wsUrl: server.wsUrl, token: shop.token },
        );
      } finally {
        await page.close();
      }
    }

    it('calls the API with fetch and a WebSocket from an origin in CORS_ORIGINS', async () => {
      expect(await callFrom(`http://127.0.0.1:${frontEndPort}`)).toEqual({
        post: { status: 200, requestId: true, body: expect.objectContaining({ data: { viewer: { kind: 'USER' } } }) },
        webSocket: 'open',
      });
    });

    it('cannot read the API from any other origin, nor open a WebSocket to it', async () => {
      expect(await callFrom(`http://localhost:${frontEndPort}`)).toEqual({ post: 'TypeError: Failed to fetch', webSocket: 'refused' });
    });
  });
});
