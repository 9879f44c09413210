import type { z } from 'zod';

import type { MintingPolicyMetadata } from '../config/rights.js';
import { ivsConfiguration } from './ivs/config.js';
import { licenseConfiguration } from './license/config.js';
import { videoConfiguration } from './video/config.js';

/**
 * What the configuration takes from each minter, under the key of its section: read without
 * loading the minters themselves. A new minter is its folder, a line here and one in index.ts.
 */
const MINTER_CONFIGURATIONS = {
  ivs: ivsConfiguration,
  licenses: licenseConfiguration,
  video: videoConfiguration,
} as const;

export type MinterKey = keyof typeof MINTER_CONFIGURATIONS;

const everyConfiguration = Object.entries(MINTER_CONFIGURATIONS);

/** The minters' configuration sections, which the configuration schema takes in beside its own. */
export const MINTER_SECTIONS = Object.fromEntries(
  everyConfiguration.map(([key, { section }]) => [key, section]),
) as { [K in MinterKey]: (typeof MINTER_CONFIGURATIONS)[K]['section'] };

/** The minters' sections of the parsed configuration, each under its key. */
export type MinterSections = z.output<z.ZodObject<typeof MINTER_SECTIONS>>;

/** Client metadata fields of every minter (enabled or not, so a configured client never loses them), with their vocabularies. */
export const MINTING_POLICY_METADATA: MintingPolicyMetadata = Object.assign(
  {},
  ...everyConfiguration.map(([, { policyMetadata }]) => policyMetadata),
);
