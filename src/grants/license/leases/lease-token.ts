import { signCompactJws } from '../../../keys/compact-jws.js';
import type { Ps384SigningKey } from '../../../keys/server-signing-key.js';
import type { EntitlementData, LeaseKind } from './lease-record.js';

export interface LeaseTokenClaims {
  issuer: string;
  /** The person (or client) the lease is held for. */
  subject: string;
  licenseArn: string;
  productSku?: string | undefined;
  /** The LicenseConsumptionToken. */
  leaseId: string;
  kind: LeaseKind;
  entitlements: EntitlementData[];
  nodeId?: string | undefined;
  checkoutMetadata?: { Name?: string | undefined; Value?: string | undefined }[] | undefined;
  /** Epoch seconds. */
  issuedAt: number;
  expiresAt: number;
}

/**
 * The SignedToken of a checkout: a PS384 JWT naming the license, its entitlements, the node and
 * the lease's end, which software that goes offline verifies with the key /jwks publishes.
 */
export async function encodeLeaseToken(claims: LeaseTokenClaims, key: Ps384SigningKey): Promise<string> {
  return signCompactJws({ alg: 'PS384', kid: key.kid, typ: 'JWT' }, {
    iss: claims.issuer,
    sub: claims.subject,
    aud: claims.licenseArn,
    jti: claims.leaseId,
    license_arn: claims.licenseArn,
    ...(claims.productSku === undefined ? {} : { product_sku: claims.productSku }),
    checkout_type: claims.kind,
    entitlements: claims.entitlements,
    ...(claims.nodeId === undefined ? {} : { node_id: claims.nodeId }),
    ...(claims.checkoutMetadata === undefined ? {} : { checkout_metadata: claims.checkoutMetadata }),
    iat: claims.issuedAt,
    exp: claims.expiresAt,
  }, { alg: 'PS384', key: key.privateKey });
}
