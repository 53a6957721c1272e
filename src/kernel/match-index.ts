/**
 * What a live subscriber asks for beyond its workspace and topic: fields that must equal these values, e.g.
 * `{ conversationId: 'c1…' }`. For events a field is `subjectId` or the name of a ref; for signals it is `key`. An
 * empty match takes every item of the topic; a field whose value is undefined is left out (an optional argument not given).
 */
export type LiveMatch = Record<string, string | undefined>;

/**
 * A workspace's live subscribers by topic and match, so that handing out one event costs a few map lookups however
 * many subscribers an instance holds: 1,000 subscriptions on 1,000 conversations are not asked one by one whether
 * they want a message. Subscribers of a topic are grouped by the fields they match on (usually one group, e.g.
 * `conversationId`; unfiltered subscribers are the group of no fields); per event, each group costs one lookup by the
 * event's values of its fields.
 */
export class MatchIndex<Subscriber> {
  /** workspace → topic → the match's field names, sorted and joined → their values (JSON) → subscribers */
  private readonly workspaces = new Map<string, Map<string, Map<string, Map<string, Set<Subscriber>>>>>();

  add(workspaceId: string, topics: string[], match: LiveMatch, subscriber: Subscriber): () => void {
    const { fields, values } = keyOf(match);
    const topicsOfWorkspace = getOrCreate(this.workspaces, workspaceId, () => new Map());
    for (const topic of topics) {
      const groups = getOrCreate(topicsOfWorkspace, topic, () => new Map());
      const byValues = getOrCreate(groups, fields, () => new Map());
      getOrCreate(byValues, values, () => new Set()).add(subscriber);
    }
    return () => {
      for (const topic of topics) {
        const groups = topicsOfWorkspace.get(topic);
        const byValues = groups?.get(fields);
        const subscribers = byValues?.get(values);
        if (!groups || !byValues || !subscribers) continue;
        subscribers.delete(subscriber);
        if (!subscribers.size) byValues.delete(values);
        if (!byValues.size) groups.delete(fields);
        if (!groups.size) topicsOfWorkspace.delete(topic);
      }
      if (!topicsOfWorkspace.size && this.workspaces.get(workspaceId) === topicsOfWorkspace) this.workspaces.delete(workspaceId);
    };
  }

  /**
   * The subscribers of this workspace and topic whose match the item meets; `field` reads the item's value of a field.
   * One added under several matches ("any of these") comes once for each match the item meets.
   */
  *matching(workspaceId: string, topic: string, field: (name: string) => string | undefined): Generator<Subscriber> {
    const groups = this.workspaces.get(workspaceId)?.get(topic);
    if (!groups) return;
    for (const [fields, byValues] of groups) {
      const values = fields ? fields.split(',').map(field) : [];
      if (values.some((value) => value === undefined)) continue;
      const subscribers = byValues.get(JSON.stringify(values));
      if (subscribers) yield* subscribers;
    }
  }
}

function keyOf(match: LiveMatch): { fields: string; values: string } {
  const names = Object.keys(match).filter((name) => match[name] !== undefined).sort();
  if (names.some((name) => name.includes(','))) throw new Error(`a match field name cannot hold a comma: ${names.join(' ')}`);
  return { fields: names.join(','), values: JSON.stringify(names.map((name) => match[name])) };
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = create()));
  return value;
}
