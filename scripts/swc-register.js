// Runs TypeScript without a build (`node -r ./scripts/swc-register.js src/main.ts`), compiling each file with the same
// swc settings as Jest and without type checking: for `npm run dev` and for tests that run src/main.ts as a process.
const fs = require('node:fs');
const path = require('node:path');
const { transformSync } = require('@swc/core');

const options = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '.swcrc'), 'utf8'));
require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), { ...options, swcrc: false, filename });
  module._compile(code, filename);
};
