import type { Adapter, AdapterConstructor, AdapterPayload } from 'oidc-provider';

import type { Store } from '../store/store.js';

/** Gives oidc-provider one adapter class per model, all writing through the same store. */
export function adapterFor(store: Store): AdapterConstructor {
  return class StoreAdapter implements Adapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      await store.upsertModel(this.model, id, payload as Record<string, unknown>, expiresIn);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return (await store.findModel(this.model, id)) as AdapterPayload | undefined;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return (await store.findModelByUid(this.model, uid)) as AdapterPayload | undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return (await store.findModelByUserCode(this.model, userCode)) as AdapterPayload | undefined;
    }

    async consume(id: string): Promise<void> {
      await store.consumeModel(this.model, id);
    }

    async destroy(id: string): Promise<void> {
      await store.destroyModel(this.model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await store.revokeGrant(grantId);
    }
  };
}
