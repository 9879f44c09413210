import type { Minter, MinterDependencies, MinterPlugin } from './common/minter.js';
import type { MinterKey, MinterSections } from './config.js';
import { ivsMinter } from './ivs/minter.js';
import { licenseMinter } from './license/minter.js';
import { videoMinter } from './video/minter.js';

/** Every minter, under the configuration key of its section (./config.ts). A new minter is its folder and a line here and there. */
export const MINTERS = {
  ivs: ivsMinter,
  licenses: licenseMinter,
  video: videoMinter,
} as const satisfies { [K in MinterKey]: MinterPlugin<MinterSections[K]> };

const everyMinter = Object.entries(MINTERS) as [MinterKey, MinterPlugin][];

/** The minters the configuration enables; a minter without configuration is not offered at all. */
export function enabledMinters(config: MinterSections, server: { adminApi: boolean }): { plugin: MinterPlugin; section: unknown }[] {
  return everyMinter
    .map(([key, plugin]) => ({ plugin, section: config[key] }))
    .filter(({ plugin, section }) => plugin.enabled(section, server));
}

export async function createMinters(config: MinterSections, server: { adminApi: boolean }, deps: MinterDependencies): Promise<Minter[]> {
  return Promise.all(enabledMinters(config, server).map(({ plugin, section }) => plugin.create(section as NonNullable<unknown>, deps)));
}

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
