/**
 * Global ids name their type, Relay style: base64url("Customer:<uuid>"). Clients treat them as opaque;
 * the server can route `node(id)` and treat an id of the wrong type like one that does not exist.
 */
export function toGlobalId(typeName: string, id: string): string {
  return Buffer.from(`${typeName}:${id}`).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Decodes a global id, or returns undefined for anything that is not one. */
export function parseGlobalId(globalId: string): { typeName: string; id: string } | undefined {
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator < 1) return undefined;
  const typeName = decoded.slice(0, separator);
  const id = decoded.slice(separator + 1);
  return UUID.test(id) ? { typeName, id: id.toLowerCase() } : undefined;
}

/**
 * The uuid inside a global id of the expected type, or undefined for anything else: callers treat it like an id
 * that does not exist (null for a lookup, a NOT_FOUND userError for mutation input).
 */
export function tryFromGlobalId(globalId: string, expectedType: string): string | undefined {
  const parsed = parseGlobalId(globalId);
  return parsed && parsed.typeName === expectedType ? parsed.id : undefined;
}
