/**
 * Someone a minter let into a live session (an IVS stage's participant), as recorded when their
 * token was minted and kept until it expires.
 */
export interface Participant {
  /** The token's id, which the vendor names the participant by (IVS: the token's `jti`, its participantId). */
  id: string;
  /** The stage (or session) it is for. */
  resource: string;
  /** The person it was minted for (their sub); absent when a client minted it for itself. */
  person?: string;
  /** The user id the token carries. */
  userId?: string;
  /** The client that minted it, the only one that may exchange it. */
  clientId: string;
  capabilities: string[];
  attributes: Record<string, string>;
  /** ISO 8601: when its current token was minted, and when it expires. */
  issuedAt: string;
  expiresAt: string;
  /** Whether it counts as in the session now: not left, disconnected or replaced. */
  live: boolean;
  /** Why it is no longer live, when it was ended before its expiry. */
  ended?: ParticipantEnding;
}

export interface ParticipantEnding {
  /** `disconnected`: by a moderator or an operator; `replaced`: by a newer participant of the same person; `left`: by its own app. */
  how: 'disconnected' | 'replaced' | 'left';
  /** ISO 8601. */
  at: string;
  /** Who ended it: a client id, `admin:<client id>` for an operator, or the participant's own client. */
  by: string;
  reason?: string;
}

/** The participants a minter keeps, as the Admin API reads and moderates them; refusals are MintingErrors. */
export interface ParticipantRoll {
  /** Up to `limit` participants of the resource whose ids sort after `after`, by id, and whether more follow. */
  page(resource: string, limit: number, after?: string): Promise<{ items: Participant[]; more: boolean }>;
  find(id: string): Promise<Participant | undefined>;
  /** An operator's promotion or demotion of a live participant: its new token, in the vendor's shape. */
  change(id: string, change: { capabilities?: string[]; attributes?: Record<string, string> }, operator: string, ip?: string): Promise<{ token: string } & Record<string, unknown>>;
  /** An operator's disconnection, keeping the participant's person out for `keepOutSeconds` (the minter's default unless given). */
  disconnect(id: string, disconnection: { reason?: string; keepOutSeconds?: number }, operator: string, ip?: string): Promise<Participant>;
}
