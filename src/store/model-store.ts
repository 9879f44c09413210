/** A model record as oidc-provider hands it to its adapter. */
export type ModelPayload = Record<string, unknown>;

/**
 * oidc-provider's models (sessions, grants, codes, tokens, registered clients …): records by id,
 * found as well by the uid and user code in their payloads, and by the grant they belong to.
 */
export interface ModelStore {
  /**
   * Creates or replaces a model record and its uid, user code and grant indices, for `expiresIn`
   * seconds; without it, until it is destroyed.
   */
  upsertModel(model: string, id: string, payload: ModelPayload, expiresIn?: number): Promise<void>;
  findModel(model: string, id: string): Promise<ModelPayload | undefined>;
  findModelByUid(model: string, uid: string): Promise<ModelPayload | undefined>;
  findModelByUserCode(model: string, userCode: string): Promise<ModelPayload | undefined>;
  /**
   * Marks a record consumed (sets `consumed` to the epoch second by the store's clock). Returns
   * false when it was already consumed or does not exist, so that exactly one of two racing
   * consumers wins. A rotation names the record that replaces it, noted in the same step and read
   * back through `RotationNotes`.
   */
  consumeModel(model: string, id: string, successorId?: string): Promise<boolean>;
  destroyModel(model: string, id: string): Promise<void>;
  /** Destroys every record that belongs to the grant, whatever its model. */
  revokeGrant(grantId: string): Promise<void>;
}
