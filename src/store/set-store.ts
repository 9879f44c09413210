/**
 * Sets of names (listings, registries of issued things). A set lives as long as its longest-lived
 * addition: one added without a lifetime keeps it until it is deleted.
 */
export interface SetStore {
  addToSet(key: string, member: string, expiresIn?: number): Promise<void>;
  setMembers(key: string): Promise<string[]>;
  removeFromSet(key: string, member: string): Promise<void>;
  /**
   * Adds a member that lives `expiresIn` seconds from now (moving its end, if it is there), to a
   * set kept apart from those above: each addition drops the members whose end has come, so a
   * listing added to for ever holds only its live members.
   */
  addUntilEnd(key: string, member: string, expiresIn: number): Promise<void>;
  /** The members of such a set whose end has not come. */
  liveMembers(key: string): Promise<string[]>;
}
