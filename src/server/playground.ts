import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import express from 'express';

/** Where the playground's scripts and styles are served; the tag in their path changes with their content. */
const ASSETS_PATH = '/playground';

interface Asset {
  type: string;
  body: Buffer;
}

interface PlaygroundAssets {
  /** A hash of every asset: part of their URLs, so browsers may cache them for good. */
  tag: string;
  files: Map<string, Asset>;
}

/**
 * GraphiQL as bundled by @graphql-yoga/render-graphiql (React, Monaco, its workers, fonts and styles in one package)
 * and graphql-ws's browser build, both from node_modules: the page makes no request to another host. Loaded at the
 * first page view, not at start: they are about 9 MB of text.
 */
async function loadAssets(): Promise<PlaygroundAssets> {
  const graphiql = await import('@graphql-yoga/render-graphiql/graphiql');
  const graphqlWsFolder = path.dirname(require.resolve('graphql-ws/package.json'));
  const script = (text: string): Asset => ({ type: 'text/javascript', body: Buffer.from(text) });
  const files = new Map<string, Asset>([
    ['graphiql.js', script(graphiql.js)],
    ['graphiql.css', { type: 'text/css', body: Buffer.from(graphiql.css) }],
    ['editor.worker.js', script(graphiql.editorWorkerService)],
    ['json.worker.js', script(graphiql.jsonWorker)],
    ['graphql.worker.js', script(graphiql.graphqlWorker)],
    ['graphql-ws.js', { type: 'text/javascript', body: await readFile(path.join(graphqlWsFolder, 'umd', 'graphql-ws.min.js')) }],
    ['favicon.ico', { type: 'image/x-icon', body: Buffer.from(graphiql.favicon.replace(/^data:[^,]*base64,/, ''), 'base64') }],
  ]);
  const hash = createHash('sha256');
  for (const file of files.values()) hash.update(file.body);
  return { tag: hash.digest('hex').slice(0, 16), files };
}

const WELCOME = `# The service desk API's playground: GraphiQL served by this
# server itself, so it works offline.
#
# 1. Run the Login mutation below (demo logins: see the README).
# 2. Open "Headers" below this editor and paste, with your token:
#      { "Authorization": "Bearer st_…" }
#    (an API key works the same way: "Bearer sk_…").
#    Queries and mutations send it as an HTTP header; subscriptions
#    send it as connectionParams.authorization over graphql-ws.
# 3. Try  { viewer { kind permissions } }
#    or    subscription { auditEntryAdded { position entry { action subjectType } } }

mutation Login {
  login(input: { email: "owner@xiaolu.example", password: "demo12345" }) {
    token
    user { displayName role }
    userErrors { field message code }
  }
}
`;

/**
 * The page's own script. Yoga's GraphiQL would send subscriptions over SSE and keep the Headers editor out of a
 * WebSocket's connectionParams, and this server authenticates graphql-ws connections from
 * connectionParams.authorization; so the page gives GraphiQL its own small fetcher: queries and mutations are POSTed
 * with the editor's headers, subscriptions go through graphql-ws with the editor's Authorization, reconnecting when
 * it changes.
 */
function pageScript(): string {
  return `
const endpoint = new URL(location.pathname, location.href).toString();
const webSocketUrl = endpoint.replace(/^http/, 'ws');
let webSocket = { authorization: undefined, client: undefined };

function webSocketClient(authorization) {
  if (!webSocket.client || webSocket.authorization !== authorization) {
    webSocket.client?.dispose();
    webSocket = {
      authorization,
      client: graphqlWs.createClient({ url: webSocketUrl, connectionParams: authorization ? { authorization } : {} }),
    };
  }
  return webSocket.client;
}

function isSubscription(documentAST, operationName) {
  const operations = (documentAST?.definitions ?? []).filter((d) => d.kind === 'OperationDefinition');
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  return operation?.operation === 'subscription';
}

function fetcher(params, options = {}) {
  const headers = options.headers ?? {};
  if (isSubscription(options.documentAST, params.operationName)) {
    const authorization = Object.entries(headers).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
    return webSocketClient(authorization).iterate(params);
  }
  return fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...headers },
    body: JSON.stringify(params),
  }).then((response) => response.json());
}

YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), {
  title: 'Service desk GraphQL',
  defaultQuery: ${JSON.stringify(WELCOME)},
  fetcher,
});
`;
}

function page(tag: string): string {
  const base = `${ASSETS_PATH}/${tag}`;
  // Monaco starts its workers from these URLs (same origin); Yoga's own page makes blob URLs of the same scripts.
  const workers = { editorWorkerService: `${base}/editor.worker.js`, json: `${base}/json.worker.js`, graphql: `${base}/graphql.worker.js` };
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Service desk GraphQL playground</title>
    <link rel="icon" href="${base}/favicon.ico" />
    <link rel="stylesheet" href="${base}/graphiql.css" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>The playground needs JavaScript.</noscript>
    <div id="root"></div>
    <script>
      self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_moduleId, label) => (${JSON.stringify(workers)})[label] };
    </script>
    <script src="${base}/graphql-ws.js"></script>
    <script src="${base}/graphiql.js"></script>
    <script>${pageScript()}</script>
  </body>
</html>
`;
}

/**
 * GET /graphql from a browser (Accept prefers text/html) answers the playground page; its assets are under
 * /playground/<tag>/. Other requests to /graphql go on to Apollo.
 */
export function playgroundRouter(): express.Router {
  let assets: Promise<PlaygroundAssets> | undefined;
  const loaded = () => (assets ??= loadAssets());
  const router = express.Router();
  router.get('/graphql', async (req, res, next) => {
    if (req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) !== 'text/html') return next();
    const { tag } = await loaded();
    res.set('Cache-Control', 'no-cache').type('html').send(page(tag));
  });
  router.get(`${ASSETS_PATH}/:tag/:file`, async (req, res) => {
    const { tag, files } = await loaded();
    const file = req.params.tag === tag ? files.get(req.params.file) : undefined;
    if (!file) {
      res.status(404).type('text').send('Not found');
      return;
    }
    res.set('Cache-Control', 'public, max-age=31536000, immutable').type(file.type).send(file.body);
  });
  return router;
}
