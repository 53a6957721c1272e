import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { featureModules } from '../modules';
import { createRegistry } from '../src/kernel/registry';
import { buildAppSchema, schemaSdl } from '../src/server/schema';

/** `npm run schema:write`: regenerates schema.graphql, the committed contract the drift test compares with. */
const file = path.resolve(__dirname, '..', '..', 'schema.graphql');
writeFileSync(file, schemaSdl(buildAppSchema(createRegistry(featureModules))));
console.log(`Wrote ${file}`);
