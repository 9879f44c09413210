import type { Middleware } from 'koa';
import { errors } from 'oidc-provider';

/** A DNS name or IPv4 address, or a bracketed IPv6 address, with an optional port. */
const HOST_SHAPE = /^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;
const MAX_PORT = 65_535;

/**
 * Every URL oidc-provider and the AWS APIs publish (discovery's endpoints, verification_uri, the
 * audiences a client assertion must name) is built from the request's href. Answered from the
 * configured issuer's address instead, a request naming another Host or X-Forwarded-Host cannot
 * plant that name in an answer a cache then serves to everyone. A Host that is not a host at all,
 * or a request target that is not a URL, is the client's mistake, refused here before anything
 * tries to build a URL from it.
 */
export function addressedAsIssuer(issuer: string): Middleware {
  const { origin, host, hostname } = new URL(issuer);
  return async (ctx, next) => {
    const target = originForm(ctx.originalUrl);
    if (target === undefined) {
      // Koa's path getter throws on such a target; everything after this sees a path that parses.
      ctx.url = '/';
      throw new errors.InvalidRequest('the request target is neither a path nor an http URL');
    }
    if (target !== ctx.originalUrl) ctx.url = ctx.originalUrl = ctx.request.originalUrl = target;
    const named = [ctx.get('host'), ...(ctx.app.proxy ? ctx.get('x-forwarded-host').split(',') : [])].map((value) => value.trim());
    const malformed = named.find((value) => value !== '' && !isWellFormedHost(value));
    if (malformed !== undefined) throw new errors.InvalidRequest('the Host (or X-Forwarded-Host) header is not a host name with an optional port');
    Object.defineProperties(ctx.request, {
      host: { value: host },
      hostname: { value: hostname },
      href: { get: () => `${origin}${ctx.originalUrl}` },
    });
    await next();
  };
}

function isWellFormedHost(value: string): boolean {
  const match = HOST_SHAPE.exec(value);
  return match !== null && Number(match[1] ?? 0) <= MAX_PORT && URL.canParse(`http://${value}/`);
}

/**
 * A request target in absolute form (GET http://other.example/path) names a host of its own; only
 * its path and query are kept, as if it had been sent in origin form.
 */
function originForm(requestTarget: string): string | undefined {
  if (requestTarget.startsWith('/')) return requestTarget;
  if (!URL.canParse(requestTarget)) return undefined;
  const url = new URL(requestTarget);
  return url.protocol === 'http:' || url.protocol === 'https:' ? `${url.pathname}${url.search}` : undefined;
}
