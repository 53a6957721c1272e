import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { featureModules } from '../modules';
import { createRegistry } from '../src/kernel/registry';
import { buildAppSchema } from '../src/server/schema';

/**
 * `npm run module:new <name> [Entity]`: the copy recipe of README "Adding a module", done once and the same way for
 * every module. It writes modules/<name>/ and test/<name>.test.ts from the templates in scripts/module-template/
 * (files with placeholders, so the generated code reads as it is written there), adds the module to
 * modules/index.ts, then runs `npm run migration:create -- <Name>` for its table, adds the migration to
 * migrations/index.ts, and rewrites schema.graphql.
 */
const TEMPLATES = path.join(__dirname, 'module-template');

const capitalized = (name: string) => name[0].toUpperCase() + name.slice(1);
/** The module's one entity when the command names none (rename it in the generated files if it reads badly). */
const defaultEntity = (name: string) => `${capitalized(name)}Item`;

/** The spellings of a module's and its entity's names that the templates use. */
export function placeholders(name: string, entity: string): Record<string, string> {
  const words = entity.replace(/(?<!^)([A-Z])/g, ' $1').toLowerCase();
  return {
    module: name,
    Module: capitalized(name),
    MODULE: name.toUpperCase(),
    entity: entity[0].toLowerCase() + entity.slice(1),
    Entity: entity,
    ENTITY: words.replace(/ /g, '_').toUpperCase(),
    'entity-file': words.replace(/ /g, '-'),
    'entity-words': words,
  };
}

function fill(text: string, values: Record<string, string>): string {
  return text.replace(/__(module|Module|MODULE|entity|Entity|ENTITY|entity-file|entity-words)__/g, (_, key: string) => values[key]);
}

/** Why `name` (with `entity`, or its default) cannot be a new module of the project at `root`, or undefined when it can. */
export function nameProblem(root: string, name: string | undefined, entity?: string): string | undefined {
  if (!name) return 'Give the module a name: npm run module:new <name> [Entity]';
  // Lower-case letters only: the name is a folder, the prefix of its permissions (`<name>:read`) and of its event
  // topics (`<name>.somethingHappened`, see defineEvent), and part of GraphQL and TypeScript names.
  if (!/^[a-z]+$/.test(name)) return `"${name}" is not a module name: use lower-case letters only (e.g. loyalty)`;
  if (name === 'index') return '"index" is not a module name: modules/index.ts is the list of modules';
  const platform = createRegistry([]).modules;
  const owner = platform.find((m) => m.name === name || m.permissions.some((p) => p.name.startsWith(`${name}:`)));
  if (owner) return `"${name}" is taken by the platform module ${owner.name} (its name or its permissions' prefix)`;
  if (existsSync(path.join(root, 'modules', name))) return `modules/${name} exists already`;
  if (existsSync(path.join(root, 'test', `${name}.test.ts`))) return `test/${name}.test.ts exists already`;
  if (entity !== undefined && !/^[A-Z][a-zA-Z]*$/.test(entity)) return `"${entity}" is not an entity name: use PascalCase letters (e.g. LoyaltyAccount)`;
  const taken = takenNames(entity ?? defaultEntity(name));
  if (taken.length) return `Taken already: ${taken.join(', ')}; name the entity, e.g. npm run module:new ${name} ${capitalized(name)}Record`;
  return undefined;
}

/** The entity class and the GraphQL names the templates would declare for `entity` that the server has already. */
function takenNames(entity: string): string[] {
  const registry = createRegistry(featureModules);
  const schema = buildAppSchema(registry);
  const field = entity[0].toLowerCase() + entity.slice(1);
  return [
    ...registry.entities.filter((e) => e.name === entity).map(() => `the entity ${entity}`),
    ...['', 'Connection', 'Edge', 'Payload', 'CreateInput', 'Sort', 'SortField'].map((suffix) => `${entity}${suffix}`)
      .filter((type) => schema.getType(type)).map((type) => `the GraphQL type ${type}`),
    ...(schema.getQueryType()!.getFields()[`${field}s`] ? [`the query ${field}s`] : []),
    ...(schema.getMutationType()!.getFields()[`${field}Create`] ? [`the mutation ${field}Create`] : []),
  ];
}

/** Template files under `dir`, as paths relative to the template folder. */
function templateFiles(dir = ''): string[] {
  return readdirSync(path.join(TEMPLATES, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    return entry.isDirectory() ? templateFiles(file) : [file];
  });
}

/**
 * Writes the module's files and the test into the project at `root` and adds the module to modules/index.ts;
 * returns the files written, relative to `root`. The name must have passed `nameProblem`.
 */
export function generateModule(root: string, name: string, entity = defaultEntity(name)): string[] {
  const values = placeholders(name, entity);
  const written = templateFiles().map((template) => {
    const relative = fill(template.replace(/\.tmpl$/, ''), values);
    const target = relative.startsWith(`test${path.sep}`) ? relative : path.join('modules', name, relative);
    mkdirSync(path.dirname(path.join(root, target)), { recursive: true });
    writeFileSync(path.join(root, target), fill(readFileSync(path.join(TEMPLATES, template), 'utf8'), values));
    return target;
  });
  registerModule(root, name);
  return written.sort();
}

/** `text` with `line` added after its last import. */
function withImport(text: string, line: string): string {
  const lastImport = [...text.matchAll(/^import .*;$/gm)].at(-1)!;
  const at = lastImport.index + lastImport[0].length;
  return `${text.slice(0, at)}\n${line}${text.slice(at)}`;
}

/** Imports the module in modules/index.ts and appends it to the list (after every module it could require). */
function registerModule(root: string, name: string): void {
  const file = path.join(root, 'modules', 'index.ts');
  const text = readFileSync(file, 'utf8');
  const list = /(export const featureModules: ModuleDefinition\[\] = \[)([\s\S]*?)(\];)/;
  if (!list.test(text)) throw new Error('modules/index.ts: the featureModules list was not found; add the module by hand');
  const added = (body: string) => {
    if (body.includes('\n')) return `${body.trimEnd().replace(/,?$/, ',')}\n  ${name}Module,\n`;
    return body.trim() ? `${body.trim()}, ${name}Module` : `${name}Module`;
  };
  writeFileSync(file, withImport(text, `import { ${name}Module } from './${name}';`)
    .replace(list, (_, head: string, body: string, tail: string) => `${head}${added(body)}${tail}`));
}

/** Adds a migration written by migration:create to migrations/index.ts, last (it is the newest). */
export function registerMigration(root: string, migration: string): void {
  const file = path.join(root, 'migrations', 'index.ts');
  const text = withImport(readFileSync(file, 'utf8'), `import { ${migration} } from './${migration}';`);
  writeFileSync(file, text.replace(/\n\];/, `\n  { name: '${migration}', class: ${migration} },\n];`));
}

function main(): void {
  const root = path.resolve(__dirname, '..');
  const [name, entity] = process.argv.slice(2);
  const problem = nameProblem(root, name, entity);
  if (problem) {
    console.error(problem);
    process.exit(1);
  }
  const written = generateModule(root, name, entity);
  console.log(`Wrote ${written.join(', ')}; added ${name}Module to modules/index.ts.`);

  let migration: string | undefined;
  try {
    const before = new Set(readdirSync(path.join(root, 'migrations')));
    execFileSync('npm', ['run', 'migration:create', '--', capitalized(name)], { cwd: root, stdio: 'inherit' });
    migration = readdirSync(path.join(root, 'migrations')).filter((f) => !before.has(f)).map((f) => f.replace(/\.ts$/, ''))[0];
    if (!migration) throw new Error('migration:create wrote no migration');
    registerMigration(root, migration);
    execFileSync('npm', ['run', 'schema:write'], { cwd: root, stdio: 'inherit' });
  } catch (error) {
    console.error(`\n${(error as Error).message}\nThe module's files are written and it is registered; fix the problem, then do steps 3 and 4 of README "Adding a module" by hand.`);
    process.exit(1);
  }

  console.log(`\nModule ${name} is registered, with migrations/${migration}.ts (review it) and schema.graphql rewritten.`);
  console.log(`Next: npx tsc --noEmit && npx jest test/${name}.test.ts, then fill in the TODOs of modules/${name}/README.md and index.ts.`);
}

if (require.main === module) main();
