import type { MinterEnds } from '../grants/common/minter.js';
import type { GrantIndex } from './grant-index.js';

/**
 * What must end, on every instance at once, when a client is deleted or a person's account is
 * disabled or deleted: their grants and tokens (through the grant index) and what the minters keep
 * in their name (license tokens, and the seats they hold). The minters are added once they run:
 * the provider, built before them, deletes registered clients through this too.
 */
export class Endings {
  readonly #keepers: MinterEnds[];

  constructor(grantIndex: GrantIndex) {
    this.#keepers = [{ client: (clientId) => grantIndex.revokeGrantsOfClient(clientId), person: (sub) => grantIndex.revokeGrantsOfAccount(sub) }];
  }

  add(ends: MinterEnds): void {
    this.#keepers.push(ends);
  }

  /** Ends everything of the client; also run before a client is made under an id, for what an earlier one left. */
  async endClient(clientId: string): Promise<void> {
    await Promise.all(this.#keepers.map((keeper) => keeper.client(clientId)));
  }

  /** Ends everything of the person: an account enabled again, or made again under the sub, starts with nothing. */
  async endPerson(sub: string): Promise<void> {
    await Promise.all(this.#keepers.map((keeper) => keeper.person(sub)));
  }
}
