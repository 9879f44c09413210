/** Key layout shared by both backends, so a Redis dump reads the same as the memory map. */
export const storeKeys = {
  model: (model: string, id: string) => `model:${model}:${id}`,
  uid: (model: string, uid: string) => `uid:${model}:${uid}`,
  userCode: (model: string, userCode: string) => `usercode:${model}:${userCode}`,
  grant: (grantId: string) => `grant:${grantId}`,
  value: (key: string) => `value:${key}`,
  set: (key: string) => `set:${key}`,
  counted: (key: string) => `counted:${key}`,
};

/** The index fields oidc-provider puts in payloads. */
export interface IndexedFields {
  uid?: unknown;
  userCode?: unknown;
  grantId?: unknown;
}

export const asIndex = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;
