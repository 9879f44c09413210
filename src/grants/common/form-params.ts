import type { KoaContextWithOIDC } from 'oidc-provider';

export type RawParams = Record<string, string | string[] | undefined>;

/**
 * The form as sent to the token endpoint, parsed: a repeated field is an array. The minting
 * grants read their parameters here rather than registering them with oidc-provider, which
 * builds, checks for duplicates and strips every registered parameter of every grant type on
 * every token request, whichever grant it is for: registered, the minters' parameters would
 * weigh on every other grant's requests too.
 */
export function sentForm(ctx: KoaContextWithOIDC): Readonly<Record<string, unknown>> {
  return (ctx.oidc.body ?? {}) as Record<string, unknown>;
}

/**
 * The grant's parameters as sent; an empty value counts as absent, as for oidc-provider's own
 * parameters. Values that repeat are arrays; `splitOnSpaces` lists the ones that may also be sent
 * space-separated in one value.
 */
export function readParams(ctx: KoaContextWithOIDC, names: readonly string[], splitOnSpaces: readonly string[] = []): RawParams {
  const form = sentForm(ctx);
  const raw: RawParams = {};
  for (const name of names) {
    const value = form[name];
    if (value === undefined || value === '') continue;
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
