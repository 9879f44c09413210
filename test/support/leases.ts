import { LICENSES } from './minters.js';

/** A license with leasable entitlements, its ARN made from `id`. */
export const leaseLicense = (id: string, overrides: Record<string, unknown> = {}) => ({
  arn: leaseLicenseArn(id),
  maxTokens: 100,
  productSku: `sku-${id}`,
  issuer: { name: 'Studio Inc.', keyFingerprint: 'studio-key' },
  entitlements: [
    { name: 'seats', unit: 'Count', maxCount: 3 },
    { name: 'render-hours', unit: 'Count', maxCount: 10, allowCheckIn: false },
  ],
  consumption: { provisional: { maxTimeToLiveInMinutes: 15 }, borrow: { allowEarlyCheckIn: true, maxTimeToLiveInMinutes: 120 } },
  ...overrides,
});

export const leaseLicenseArn = (id: string) => `${LICENSES.unconfigured.replace(/l-[0-9a-f]+$/, '')}l-lease-${id}`;

/** A provisional checkout of `seats` seats of the license `id`. */
export const seatCheckout = (id: string, seats = 1, extra: Record<string, unknown> = {}) => ({
  ProductSKU: `sku-${id}`,
  KeyFingerprint: 'studio-key',
  CheckoutType: 'PROVISIONAL' as const,
  Entitlements: [{ Name: 'seats', Unit: 'Count' as const, Value: String(seats) }],
  ClientToken: crypto.randomUUID(),
  ...extra,
});
