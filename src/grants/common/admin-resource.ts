import type { z } from 'zod';

import type { Layered, LayeredCollection } from '../../store/layered-collection.js';

/**
 * A collection the Admin API offers for changes, each item written whole: the groups, and what a
 * minter keeps that operators change at runtime (the license minter's licenses). The Admin API
 * builds its operations and their document from this; the collection's owner declares it.
 */
export interface AdminResource<T> {
  /** The path segment and the document's tag: `/admin/v1/<resource>`. */
  resource: string;
  /** What one item is called: `group`, named in refusals (`group hosts does not exist`) and operation ids. */
  noun: string;
  /** The path parameter naming an item, also the item's id field in its answer and in a write's body. */
  id: { name: string; description: string };
  collection: LayeredCollection<T>;
  /** An item's answer, without `source` (added here). */
  view(entry: Layered<T>): Record<string, unknown>;
  viewSchema: z.ZodObject;
  /**
   * What a write takes. Besides the item's fields it may carry what the item's answer holds and a
   * write does not set (its id, its `source`): an answer read, edited and sent back is taken, as
   * long as those are what they were.
   */
  body: z.ZodType<Record<string, unknown>>;
  /** What a POST that creates takes, when creation is `post` and it differs from a write's (it names the id). */
  createBody?: z.ZodType<Record<string, unknown>>;
  /** The item a write of `body` (its id and `source` taken out) stores under `id`. */
  itemOf(id: string, body: Record<string, unknown>): T;
  /** `put`: PUT creates or replaces. `post`: POST creates (the body names the id), PUT replaces one that exists. */
  creation: 'put' | 'post';
  summaries: { list: string; get: string; create?: string; put: string; delete: string };
  /**
   * Ends what an item held beyond its record (a license's leases): once it is deleted, and again
   * before one is made under its name, so that a new item inherits nothing of an earlier one
   * (whatever a deletion cut short, or one racing it, left behind). `actor` is the operator.
   */
  end?(id: string, actor: string): Promise<void>;
  /** Why a new item may not take the name, in a sentence naming the rule; nothing when it may. */
  idProblem?(id: string): string | undefined;
}

/**
 * One call a minter offers operators beyond its collections (a license's live leases, a forced
 * check-in): the Admin API serves it and documents it from this, as it does its own operations.
 */
export interface AdminAction {
  method: 'GET' | 'DELETE';
  /** Under /admin/v1, with parameters as OpenAPI writes them: `/licenses/{arn}/leases`. */
  path: string;
  resource: string;
  operationId: string;
  summary: string;
  access: 'read' | 'write';
  pathParameters?: Readonly<Record<string, string>>;
  responses: Readonly<Record<number, { description: string; schema?: z.ZodType }>>;
  /** Error statuses beyond those of every call, for the document. */
  errors?: readonly number[];
  handle(request: { params: Readonly<Record<string, string>>; actor: string }): Promise<{ status?: number; body?: unknown; change?: { id: string; action: 'delete' } }>;
}
