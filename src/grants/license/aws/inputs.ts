import { z } from 'zod';

/**
 * The JSON types of each operation. The rules on the values themselves (ARN shapes, the ten-day
 * range, three token properties, the client token) are the license minter's, checked where every
 * license token is issued.
 */
export const createTokenInput = z.object({
  LicenseArn: z.string(),
  RoleArns: z.array(z.string()).optional(),
  ExpirationInDays: z.int().optional(),
  TokenProperties: z.array(z.string()).optional(),
  ClientToken: z.string(),
});

export const getAccessTokenInput = z.object({
  Token: z.string().min(1, 'must not be empty'),
  TokenProperties: z.array(z.string()).optional(),
});

/** ListTokens filters by LicenseArns, the one filter AWS documents for it. */
export const listTokensInput = z.object({
  TokenIds: z.array(z.string()).optional(),
  Filters: z.array(z.object({
    Name: z.literal('LicenseArns', { error: 'must be LicenseArns' }),
    Values: z.array(z.string()).optional(),
  })).optional(),
  NextToken: z.string().max(1024, 'must be at most 1024 characters').optional(),
  MaxResults: z.int().min(1, 'must be from 1 to 100').max(100, 'must be from 1 to 100').optional(),
});

export const deleteTokenInput = z.object({ TokenId: z.string().min(1, 'must not be empty').max(2048, 'must be at most 2048 characters') });

export type CreateTokenInput = z.output<typeof createTokenInput>;
export type GetAccessTokenInput = z.output<typeof getAccessTokenInput>;
export type ListTokensInput = z.output<typeof listTokensInput>;
export type DeleteTokenInput = z.output<typeof deleteTokenInput>;
