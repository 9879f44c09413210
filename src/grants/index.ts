import type { z } from 'zod';

import type { Minter, MinterDependencies, MinterPlugin } from './common/minter.js';
import { ivsMinter } from './ivs/minter.js';
import { licenseMinter } from './license/minter.js';
import { videoMinter } from './video/minter.js';

/** Every minter, under the configuration key of its section. A new minter is its folder and a line here. */
export const MINTERS = {
  ivs: ivsMinter,
  licenses: licenseMinter,
  video: videoMinter,
} as const;

type MinterKey = keyof typeof MINTERS;

/** The minters' sections of the parsed configuration, each under its key. */
export type MinterSections = z.output<z.ZodObject<typeof MINTER_CONFIG_SECTIONS>>;

/** The minters' configuration sections, which the configuration schema takes in beside its own. */
export const MINTER_CONFIG_SECTIONS = Object.fromEntries(
  Object.entries(MINTERS).map(([key, minter]) => [key, minter.section]),
) as { [K in MinterKey]: (typeof MINTERS)[K]['section'] };

const everyMinter = Object.entries(MINTERS) as [MinterKey, MinterPlugin][];

/** The minters the configuration enables; a minter without configuration is not offered at all. */
export function enabledMinters(config: MinterSections, server: { adminApi: boolean }): { plugin: MinterPlugin; section: unknown }[] {
  return everyMinter
    .map(([key, plugin]) => ({ plugin, section: config[key] as z.output<z.ZodType> }))
    .filter(({ plugin, section }) => plugin.enabled(section, server));
}

export async function createMinters(config: MinterSections, server: { adminApi: boolean }, deps: MinterDependencies): Promise<Minter[]> {
  return Promise.all(enabledMinters(config, server).map(({ plugin, section }) => plugin.create(section as NonNullable<unknown>, deps)));
}

/** Client metadata fields of every minter (enabled or not, so a configured client never loses them), with their vocabularies. */
export const MINTING_POLICY_METADATA: Readonly<Record<string, readonly string[] | null>> = Object.assign(
  {},
  ...everyMinter.map(([, plugin]) => plugin.policyMetadata),
);

/** The longest any minter's token signed with the server's key (ES256) stays valid, enabled or not. */
export const LONGEST_SERVER_KEY_TOKEN_SECONDS = Math.max(0, ...everyMinter.map(([, plugin]) => plugin.serverKeyTokenSeconds ?? 0));

/** A resource in its one spelling, as the minter it belongs to spells it (enabled or not); any other as it is. */
export function canonicalResource(resource: string): string {
  for (const [, plugin] of everyMinter) {
    const canonical = plugin.canonicalResource?.(resource);
    if (canonical !== undefined) return canonical;
  }
  return resource;
}

/** The minters' default token rates, by grant type. */
export const MINTER_TOKENS_PER_SECOND: Readonly<Record<string, number>> = Object.assign(
  {},
  ...everyMinter.map(([, plugin]) => plugin.tokensPerSecond ?? {}),
);
