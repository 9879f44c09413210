import type { CountedSets } from './counted-sets.js';
import type { LeaseStore } from './lease-store.js';
import type { ModelStore } from './model-store.js';
import type { RotationNotes } from './rotation-notes.js';
import type { Rosters } from './rosters.js';
import type { SetStore } from './set-store.js';
import type { StoreClock, StoreLifecycle } from './store-lifecycle.js';
import type { ValueStore } from './value-store.js';

export type { CountedInsert, CountedInsertOutcome, CountedSets } from './counted-sets.js';
export type { LeaseReservation, LeaseReservationOutcome, LeaseStore, StoredLease } from './lease-store.js';
export type { ModelPayload, ModelStore } from './model-store.js';
export type { RotationNotes, Successor } from './rotation-notes.js';
export type { Enrolment, EnrolmentOutcome, RosterEntry, RosterLimit, Rosters } from './rosters.js';
export type { SetStore } from './set-store.js';
export type { StoreClock, StoreHealth, StoreLifecycle } from './store-lifecycle.js';
export type { ValueStore } from './value-store.js';

/**
 * Every storage port at once: what a backend implements, and what the composition root hands
 * around. oidc-provider's models and stagepass's own state live behind it. Backends: memory
 * (single process, the default) and Redis (shared, survives restarts). Each consumer takes only
 * the ports it uses.
 */
export interface Store extends ModelStore, RotationNotes, ValueStore, SetStore, CountedSets, LeaseStore, Rosters, StoreClock, StoreLifecycle {}

/**
 * The backend cannot answer now (down, unreachable or too slow); the request may be retried. Other
 * errors are faults of the server.
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}
