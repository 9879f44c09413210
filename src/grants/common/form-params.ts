import type { KoaContextWithOIDC } from 'oidc-provider';

export type RawParams = Record<string, string | string[] | undefined>;

/**
 * The grant's parameters as sent. Values that may repeat are arrays; `splitOnSpaces` lists the
 * ones that may also be sent space-separated in one value.
 */
export function readParams(ctx: KoaContextWithOIDC, names: readonly string[], splitOnSpaces: readonly string[] = []): RawParams {
  const params = ctx.oidc.params as Record<string, unknown>;
  const raw: RawParams = {};
  for (const name of names) {
    const value = params[name];
    if (value === undefined) continue;
    const values = [value].flat().map(String);
    if (splitOnSpaces.includes(name)) {
      raw[name] = values.flatMap((v) => v.split(' ')).filter((v) => v.length > 0);
    } else {
      raw[name] = Array.isArray(value) ? values : values[0];
    }
  }
  return raw;
}

/** The client's policy metadata entry, or nothing allowed when it is absent. */
export function clientPolicy(ctx: KoaContextWithOIDC, field: string): readonly string[] {
  const value = (ctx.oidc.client as unknown as Record<string, unknown>)[field];
  return Array.isArray(value) ? (value as string[]) : [];
}
