import { createHash } from 'node:crypto';

import type { LicenseConfig } from '../config.js';
import type { EntitlementConfig } from '../entitlements.js';
import type { LeaseRecord } from './lease-record.js';
import { refuse, type LeaseRefusal } from './lease-refusal.js';
import type { RequestedEntitlement } from './lease-request.js';

/** The rules a lease operation checks, each refusal in License Manager's words. */

export const entitlementCounter = (name: string) => `entitlement:${name}`;
export const personCounter = (holder: string, name: string) => `person:${holder}:${name}`;

export function entitlementOf(license: LicenseConfig, { Name, Unit, Value }: RequestedEntitlement, index: number): { entitlement: EntitlementConfig; units: number } {
  const entitlement = license.entitlements.find(({ name }) => name === Name);
  if (!entitlement) throw refuse('ValidationException', `Entitlements.${index}.Name: license ${license.arn} has no entitlement ${Name}`);
  if (entitlement.unit !== Unit) throw refuse('ValidationException', `Entitlements.${index}.Unit must be ${entitlement.unit}, the unit of entitlement ${Name}`);
  return { entitlement, units: Value === undefined ? 1 : Number(Value) };
}

export function assertCheckInAllowed(license: LicenseConfig, lease: LeaseRecord): void {
  if (lease.kind === 'BORROW' && !license.consumption.borrow?.allowEarlyCheckIn) {
    throw refuse('ConflictException', `license ${license.arn} does not allow a borrowed lease to be checked in early; it ends at ${lease.expiration}`);
  }
  const fixed = lease.entitlements.find(({ Name }) => license.entitlements.find(({ name }) => name === Name)?.allowCheckIn === false);
  if (fixed) throw refuse('ConflictException', `entitlement ${fixed.Name} of license ${license.arn} does not allow check-in${lease.expiration ? `; the lease ends at ${lease.expiration}` : ''}`);
}

export function refusedUnits(license: LicenseConfig, counter: string, holder: string): LeaseRefusal {
  const name = counter.slice(counter.startsWith('person:') ? `person:${holder}:`.length : 'entitlement:'.length);
  const entitlement = license.entitlements.find((e) => e.name === name)!;
  return counter.startsWith('person:')
    ? refuse('NoEntitlementsAllowedException', `this would hold more than ${entitlement.maxCountPerPerson} of ${entitlement.name}, the most one person may hold; check one in first`)
    : refuse('NoEntitlementsAllowedException', `entitlement ${entitlement.name} of license ${license.arn} has fewer units free than asked for (${entitlement.maxCount} in all)`);
}

export function replayed(value: string, fingerprint: string): LeaseRecord {
  const claimed = JSON.parse(value) as { fingerprint: string; record: LeaseRecord };
  if (claimed.fingerprint !== fingerprint) throw refuse('ValidationException', 'ClientToken was already used with another request in the last 10 minutes');
  return claimed.record;
}

export const notLive = (token: string) => refuse('ResourceNotFoundException', `no live lease ${token} of this caller: it ended, was checked in, or never was`);

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

export function defined<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}
