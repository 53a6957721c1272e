import { featureModules } from '../modules';
import { PERSONAL_DATA, type PersonalDataHandler } from '../modules/customers';
import { contribute, defineExtensionPoint } from '../src/kernel/extension-points';
import { defineModule, type ModuleDefinition } from '../src/kernel/module';
import { createRegistry } from '../src/kernel/registry';
import { startTestServer } from './support/server';

/**
 * What the registry checks when a server starts: extension points (typed, declared by one module, one or many
 * contributions) and the modules each module requires.
 */
type Greeter = (name: string) => string;
const GREETER = defineExtensionPoint<Greeter>('greetings.greeter', { many: false });
const FAREWELLS = defineExtensionPoint<Greeter>('greetings.farewells', { many: true });

const moduleOf = (name: string, parts: Partial<ModuleDefinition> = {}) =>
  defineModule({ name, entities: [], resolvers: [], permissions: [], ...parts });
const greetings = moduleOf('greetings', { extensionPoints: [GREETER, FAREWELLS] });
const noop: PersonalDataHandler = { export: async () => ({}), erase: async () => {}, merge: async () => {} };

describe('extension points', () => {
  it('refuses to start a server with a contribution to a point no registered module declares', async () => {
    const stray = moduleOf('stray', { contributes: [contribute(GREETER, (name) => `你好, ${name}`)] });
    await expect(startTestServer({ extraModules: [stray] })).rejects.toThrow(
      'module stray contributes to unknown extension point greetings.greeter: no registered module declares it',
    );
  });

  it('refuses a second contribution to a point that takes one', () => {
    const first = moduleOf('first', { contributes: [contribute(GREETER, (name) => `你好, ${name}`)] });
    const second = moduleOf('second', { contributes: [contribute(GREETER, (name) => `您好, ${name}`)] });
    expect(() => createRegistry([greetings, first, second])).toThrow(
      'extension point greetings.greeter takes one contribution, but first and second both contribute to it',
    );
  });

  it('hands a single point its one contribution and a point of many all of them, in registry order, wherever the owner stands', () => {
    const english = moduleOf('english', { contributes: [contribute(GREETER, (name) => `hello ${name}`), contribute(FAREWELLS, (name) => `bye ${name}`)] });
    const chinese = moduleOf('chinese', { contributes: [contribute(FAREWELLS, (name) => `再见, ${name}`)] });
    const registry = createRegistry([english, greetings, chinese]);
    expect(registry.contributionTo(GREETER)?.('Li')).toBe('hello Li');
    expect(registry.contributionsTo(FAREWELLS).map((farewell) => farewell('Li'))).toEqual(['bye Li', '再见, Li']);
    expect(() => registry.contributionTo(FAREWELLS)).toThrow('extension point greetings.farewells takes many contributions');
    expect(createRegistry([greetings]).contributionTo(GREETER)).toBeUndefined();
  });

  it('refuses a point declared twice, and reading a point no registered module declares', () => {
    const copy = moduleOf('copy', { extensionPoints: [defineExtensionPoint<Greeter>('greetings.greeter', { many: true })] });
    expect(() => createRegistry([greetings, copy])).toThrow('extension point greetings.greeter declared by both greetings and copy');
    expect(() => createRegistry([]).contributionsTo(PERSONAL_DATA)).toThrow('extension point customers.personalData is not declared by any registered module');
  });

  it('checks a handler against its point when the manifest is compiled', () => {
    const handler = (name: string) => name.length;
    // @ts-expect-error a Greeter returns a string: `npm test`'s type check fails if this line stops being an error
    const wrong = contribute(GREETER, handler);
    // @ts-expect-error a PersonalDataHandler needs erase and merge as well
    const partial = contribute(PERSONAL_DATA, { export: noop.export });
    expect([wrong.point, partial.point]).toEqual([GREETER, PERSONAL_DATA]);
    expect(contribute(PERSONAL_DATA, noop).handler).toBe(noop);
  });
});

describe('required modules', () => {
  const tickets = moduleOf('tickets', { requires: ['customers'] });

  it('accepts a module whose required modules are registered earlier', () => {
    expect(createRegistry([...featureModules, tickets]).modules.map((m) => m.name)).toContain('tickets');
  });

  it('refuses a required module that is missing or comes later, and two modules of one name', () => {
    expect(() => createRegistry([tickets])).toThrow('module tickets requires module customers, which is not registered');
    expect(() => createRegistry([tickets, ...featureModules])).toThrow(
      'module tickets requires module customers, which must come before it in the module list',
    );
    expect(() => createRegistry([...featureModules, ...featureModules])).toThrow('module customers registered twice');
  });
});
