import { randomUUID } from 'node:crypto';

import type { EntitlementDataUnit } from './lease-request.js';

/** An entitlement as License Manager's EntitlementData spells it: the value is a string. */
export interface EntitlementData {
  Name: string;
  Value: string;
  Unit: EntitlementDataUnit;
}

export type LeaseKind = 'PROVISIONAL' | 'PERPETUAL' | 'BORROW';

/** A lease as the store keeps it: what each operation on it, and the operators, read back. */
export interface LeaseRecord {
  /** The LicenseConsumptionToken: the lease's name, and where its license is. */
  token: string;
  licenseArn: string;
  kind: LeaseKind;
  entitlements: EntitlementData[];
  clientId: string;
  /** The person the lease is held for; absent when the client holds it for itself. */
  person?: string;
  nodeId?: string;
  beneficiary?: string;
  checkoutMetadata?: { Name?: string; Value?: string }[];
  /** The license token whose temporary credentials checked it out, if it was so. */
  tokenId?: string;
  /** ISO 8601. */
  issuedAt: string;
  /** ISO 8601; absent for a perpetual lease, which holds its units until checked in. */
  expiration?: string;
  signedToken: string;
}

/** Who holds a lease's units under a per-person bound: the person, or the client holding it for itself. */
export const holderOf = ({ person, clientId }: { person?: string | undefined; clientId: string }): string => person ?? `client:${clientId}`;

/**
 * A LicenseConsumptionToken names its license, so that ExtendLicenseConsumption and
 * CheckInLicense, which name nothing else, find the lease in its license's group; the random part
 * makes it unguessable.
 */
export function newConsumptionToken(licenseArn: string): string {
  return `${Buffer.from(licenseArn).toString('base64url')}.${randomUUID()}`;
}

export function licenseOfConsumptionToken(token: string): string | undefined {
  const dot = token.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const licenseArn = Buffer.from(token.slice(0, dot), 'base64url').toString();
  return licenseArn.startsWith('arn:') ? licenseArn : undefined;
}
