import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * Who may import what (README "Modules and their public faces"):
 * - a module's index.ts is its public face: a file of modules/X imports another module Y only as `modules/Y` (its
 *   index.ts), never a file inside it, and never the module list modules/index.ts;
 * - the platform (src/) never imports modules/, but for src/main.ts, the composition root, which hands the list of
 *   modules/index.ts to startApp;
 * - a platform folder with a public face (src/auth) is imported by modules through its index.ts only.
 * Every import form counts: `import`, `import type`, `export … from`, `import()` (also in types) and `require`,
 * as TypeScript's own scanner (`preProcessFile`) finds them, comments and strings left out.
 */
const ROOT = path.resolve(__dirname, '..');
const COMPOSITION_ROOT = 'src/main.ts';
/** Platform folders whose index.ts is the only file modules may import. */
const PLATFORM_FACES = ['src/auth'];

/** `modules/customers/services/x.ts` → `{ module: 'customers', face: false }`; the list modules/index.ts has no module. */
function moduleOf(file: string): { module?: string; face: boolean } | undefined {
  const parts = file.replace(/(\/index)?(\.ts)?$/, '').split('/');
  if (parts[0] !== 'modules') return undefined;
  return { module: parts[1], face: parts.length <= 2 };
}

/** Why `importer` may not import `target` (both paths from the project root, the target without resolving its extension), or undefined. */
function boundaryViolation(importer: string, target: string): string | undefined {
  const from = moduleOf(importer);
  const to = moduleOf(target);
  if (importer.startsWith('src/') && to) {
    if (importer === COMPOSITION_ROOT && !to.module) return undefined;
    return importer === COMPOSITION_ROOT
      ? 'the composition root imports the module list (modules/index.ts) only'
      : `the platform (src/) imports no module: src/main.ts hands modules/index.ts's list to startApp`;
  }
  if (from && to) {
    if (!to.module) return from.module ? 'a module imports no module list: modules/index.ts is for the composition root' : undefined;
    if (to.module !== from.module && !to.face) return `another module's inner file: import modules/${to.module} (its index.ts) instead`;
  }
  if (from) {
    const face = PLATFORM_FACES.find((dir) => target.startsWith(`${dir}/`));
    if (face && !/^\/index(\.ts)?$/.test(target.slice(face.length))) return `an inner file of ${face}: import ${face} (its index.ts) instead`;
  }
  return undefined;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

/** Every relative import of a file: its specifier, the target from the project root, its line. */
function importsOf(file: string): Array<{ specifier: string; target: string; line: number }> {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  return ts.preProcessFile(text, true, true).importedFiles
    .filter((imported) => imported.fileName.startsWith('.'))
    .map((imported) => ({
      specifier: imported.fileName,
      target: path.posix.normalize(path.posix.join(path.posix.dirname(file), imported.fileName)),
      line: text.slice(0, imported.pos).split('\n').length,
    }));
}

it('finds no import across a public face, and none from src/ into modules/ but the composition root', () => {
  const files = [...sourceFiles('src'), ...sourceFiles('modules')];
  expect(files).toEqual(expect.arrayContaining([COMPOSITION_ROOT, 'modules/index.ts', 'modules/customers/index.ts', 'src/auth/index.ts']));
  const violations = files.flatMap((file) =>
    importsOf(file).flatMap(({ specifier, target, line }) => {
      const why = boundaryViolation(file, target);
      return why ? [`${file}:${line} imports '${specifier}': ${why}`] : [];
    }),
  );
  expect(violations).toEqual([]);
});

it('tells each kind of crossing from the imports that are allowed', () => {
  const refused = (importer: string, target: string) => boundaryViolation(importer, target) !== undefined;
  // another module's inner file, or the module list, from a module
  expect(refused('modules/tickets/services/tickets.ts', 'modules/customers/services/customers')).toBe(true);
  expect(refused('modules/tickets/index.ts', 'modules/customers/entities/customer.ts')).toBe(true);
  expect(refused('modules/tickets/index.ts', 'modules/index')).toBe(true);
  expect(refused('modules/index.ts', 'modules/customers/services/customers')).toBe(true);
  // src/ into modules/, but for the composition root's module list
  expect(refused('src/kernel/registry.ts', 'modules')).toBe(true);
  expect(refused('src/kernel/demo.ts', 'modules/customers')).toBe(true);
  expect(refused('src/main.ts', 'modules/customers')).toBe(true);
  // inner files of a platform face
  expect(refused('modules/customers/resolvers/follow-up.ts', 'src/auth/loaders')).toBe(true);
  expect(refused('modules/customers/permissions.ts', 'src/auth/roles.ts')).toBe(true);

  expect(refused('modules/tickets/services/tickets.ts', 'modules/customers')).toBe(false);
  expect(refused('modules/tickets/services/tickets.ts', 'modules/customers/index')).toBe(false);
  expect(refused('modules/tickets/services/tickets.ts', 'modules/tickets/entities/ticket')).toBe(false);
  expect(refused('modules/index.ts', 'modules/customers')).toBe(false);
  expect(refused('src/main.ts', 'modules')).toBe(false);
  expect(refused('src/main.ts', 'modules/index.ts')).toBe(false);
  expect(refused('modules/customers/permissions.ts', 'src/auth')).toBe(false);
  expect(refused('modules/customers/permissions.ts', 'src/kernel/module')).toBe(false);
  expect(refused('src/kernel/demo.ts', 'src/auth/entities')).toBe(false);
});

it('reads every import form, and no import in a comment or a string', () => {
  expect(ts.preProcessFile([
    `import a from './a'; import type { B } from './b'; import './c';`,
    `export * from './d'; export { e } from './e'; export type { F } from './f';`,
    `const g = import('./g'); const h = require('./h'); import i = require('./i'); type K = import('./k').K;`,
    `// import x from './comment'`, "const s = `import('./string')`;",
  ].join('\n'), true, true).importedFiles.map((f) => f.fileName)).toEqual(['./a', './b', './c', './d', './e', './f', './g', './h', './i', './k']);
});
