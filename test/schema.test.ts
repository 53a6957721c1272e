import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isObjectType, isInputObjectType, isInterfaceType, isEnumType, parse, validate } from 'graphql';
import { featureModules } from '../modules';
import { createRegistry } from '../src/kernel/registry';
import { buildAppSchema, schemaSdl } from '../src/server/schema';

const schema = buildAppSchema(createRegistry(featureModules));

describe('schema.graphql, the committed contract', () => {
  it('matches the schema the code builds (run `npm run schema:write` after changing the API)', () => {
    const committed = readFileSync(path.join(__dirname, '..', 'schema.graphql'), 'utf8');
    expect(schemaSdl(schema)).toBe(committed);
  });

  it('describes every type, field, argument and enum value, since it is what frontend teams read', () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)) continue;
      const rootType = ['Query', 'Mutation', 'Subscription'].includes(type.name);
      if (!type.description && !rootType) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) {
            if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
          }
        }
      }
      if (isEnumType(type)) {
        for (const value of type.getValues()) if (!value.description) missing.push(`${type.name}.${value.name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('README examples', () => {
  it('are valid operations against the schema, so a newcomer can paste them', () => {
    const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const examples = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(examples.length).toBeGreaterThanOrEqual(5);
    for (const example of examples) {
      expect(validate(schema, parse(example)).map((e) => e.message)).toEqual([]);
    }
  });
});
