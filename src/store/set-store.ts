/**
 * Sets of names (listings, registries of issued things). A set lives as long as its longest-lived
 * addition: one added without a lifetime keeps it until it is deleted.
 */
export interface SetStore {
  addToSet(key: string, member: string, expiresIn?: number): Promise<void>;
  setMembers(key: string): Promise<string[]>;
  removeFromSet(key: string, member: string): Promise<void>;
}
