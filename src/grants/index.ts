import type { Provider } from 'oidc-provider';

import type { Config } from '../config/schema.js';
import type { ServerSigningKey } from '../keys/server-signing-key.js';
import type { Store } from '../store/store.js';
import type { Minter } from './common/minter.js';
import { ivsMinter } from './ivs/minter.js';
import { licenseMinter } from './license/minter.js';
import { videoMinter } from './video/minter.js';

export interface MinterDependencies {
  provider: Provider;
  store: Store;
  serverKey: ServerSigningKey;
  /** Epoch seconds. */
  now: () => number;
}

/** Every minter the configuration enables; a minter without configuration is not offered at all. */
export async function createMinters(config: Config, deps: MinterDependencies): Promise<Minter[]> {
  const minters: Promise<Minter>[] = [];
  if (config.ivs) minters.push(ivsMinter(config.ivs, deps));
  if (config.licenses.length > 0) minters.push(Promise.resolve(licenseMinter(config.licenses, deps)));
  if (config.video) minters.push(videoMinter(config.video, deps));
  return Promise.all(minters);
}
