import { DocumentNode, visit } from 'graphql';
import { AppError } from '../graphql/errors';

/**
 * A NUL character, or half of a UTF-16 surrogate pair without its other half. PostgreSQL stores neither (text
 * refuses U+0000; jsonb refuses both as escapes), and neither is text a person wrote. Linear: no backtracking.
 */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function refuse(where: string, extensions: Record<string, unknown>): never {
  throw new AppError('BAD_USER_INPUT', `${where} contains a NUL character or an unpaired UTF-16 surrogate, which text may not hold`, {
    ...extensions,
    reason: 'INVALID_TEXT',
    http: { status: 400 },
  });
}

/** Documents whose literals passed: Apollo hands the same DocumentNode for the same text, whose literals cannot change. */
const checkedDocuments = new WeakSet<DocumentNode>();

function checkDocumentText(document: DocumentNode): void {
  visit(document, {
    StringValue(node) {
      if (UNSTORABLE.test(node.value)) {
        const at = node.loc ? ` at line ${node.loc.startToken.line}, column ${node.loc.startToken.column}` : '';
        refuse(`The string${at}`, {});
      }
    },
  });
}

/**
 * Refuses a request whose strings PostgreSQL could not store, before anything runs: every string literal of the
 * document and every string (value or object key) in its variables, whatever the field or scalar (String, ID,
 * Decimal, DateTime, JSONObject…). One check for the whole request, in time linear in its size, instead of one in
 * every resolver; a string that gets in later (from a header, a cursor) is the business of the code that reads it.
 */
export function checkInputText(document: DocumentNode, variables: Record<string, unknown> | undefined): void {
  if (!checkedDocuments.has(document)) checkDocumentText(document);
  checkedDocuments.add(document);
  // An explicit stack rather than recursion (variables may nest deeper than the call stack), and paths built only
  // for a refusal (each item points to its parent), so the walk stays linear however deep the nesting.
  interface Item {
    value: unknown;
    key: string | number;
    parent?: Item;
  }
  const pathOf = (item: Item): Array<string | number> => {
    const path: Array<string | number> = [];
    for (let at: Item | undefined = item; at; at = at.parent) path.unshift(at.key);
    return path;
  };
  const refuseAt = (item: Item, what: string): never => {
    const path = pathOf(item);
    return refuse(`${what} of variable "$${path[0]}" at ${path.join('.')}`, { variable: path[0], path });
  };
  const pending: Item[] = Object.entries(variables ?? {}).map(([name, value]) => ({ value, key: name }));
  for (let item = pending.pop(); item; item = pending.pop()) {
    const { value } = item;
    if (typeof value === 'string') {
      if (UNSTORABLE.test(value)) refuseAt(item, 'The value');
    } else if (Array.isArray(value)) {
      value.forEach((element, index) => pending.push({ value: element, key: index, parent: item }));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, element] of Object.entries(value)) {
        const child: Item = { value: element, key, parent: item };
        if (UNSTORABLE.test(key)) refuseAt(child, 'The key');
        pending.push(child);
      }
    }
  }
}
