/** Carries a point's handler type at compile time only; no point object has this property. */
declare const handlerType: unique symbol;

/**
 * A place where other modules plug in: declared by the module that owns it (its manifest's `extensionPoints`),
 * exported from that module's index.ts, contributed to with `contribute(point, handler)` in other manifests and
 * read with `registry.contributionsTo(point)` (or `registry.contributionTo(point)` for a single one).
 */
export interface ExtensionPoint<Handler> {
  /** `<owning module>.<point>`, e.g. `customers.personalData`; unique across modules (checked at start). */
  readonly name: string;
  /** Whether it takes any number of contributions, or at most one (a second is refused at start). */
  readonly many: boolean;
  readonly [handlerType]?: Handler;
}

/** Declares an extension point; the owning module lists it in its manifest's `extensionPoints`. */
export function defineExtensionPoint<Handler>(name: string, options: { many: boolean }): ExtensionPoint<Handler> {
  return { name, many: options.many };
}

/** One module's contribution to an extension point, as listed in its manifest's `contributes`. */
export interface Contribution<Handler = unknown> {
  readonly point: ExtensionPoint<Handler>;
  readonly handler: Handler;
}

/**
 * A contribution to `point`, for a manifest's `contributes`. The handler is checked against the point's handler
 * type where it is written (`NoInfer`: the point alone decides the type, the handler must fit it).
 */
export function contribute<Handler>(point: ExtensionPoint<Handler>, handler: NoInfer<Handler>): Contribution<Handler> {
  return { point, handler };
}
