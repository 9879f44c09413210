import type { z } from 'zod';

import type { MintingPolicyMetadata } from '../../config/rights.js';

/**
 * What the configuration takes from a minter, kept apart from the minter so that reading the
 * configuration loads none of it: the schema of its section (whose title and description open the
 * section's reference), and the client metadata fields that grant the right to mint, each with
 * its closed vocabulary, or null for an open one (ARNs). Only the operator sets those fields, in
 * the configuration file or through the Admin API.
 */
export interface MinterConfiguration<Section extends z.ZodType = z.ZodType> {
  section: Section;
  policyMetadata: MintingPolicyMetadata;
}
