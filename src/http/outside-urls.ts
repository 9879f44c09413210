/** Hosts an `http:` URL may name: a development machine or a test, never a network. */
function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * Where stagepass may fetch documents from outside (an upstream provider, a trusted issuer, their
 * keys): `https:`, or `http:` on a loopback host (development and tests). The configuration's URLs
 * and the ones their discovery documents name are held to it alike.
 */
export function isHttpsOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}
