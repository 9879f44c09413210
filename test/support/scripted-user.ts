export interface Form {
  action: string;
  fields: Record<string, string>;
  buttons: { name: string; value: string; label: string }[];
}

export interface Page {
  url: string;
  status: number;
  html: string;
}

/**
 * A person with a cookie jar, clicking through stagepass's pages over plain HTTP. It reads the
 * same forms a browser would (the real-browser suite covers rendering and clicking).
 */
export class ScriptedUser {
  /** Cookies by host name, as a browser keeps them apart (and, like one, whatever the port). */
  readonly #cookies = new Map<string, Map<string, string>>();
  /** Every Set-Cookie header the user's browser was sent, in order. */
  readonly cookiesSet: string[] = [];

  /**
   * Follows redirects until a page answers or the browser would leave the server for another
   * origin: the client's redirect URI, which is where the flow hands back to the client.
   */
  async visit(url: string, init: RequestInit = {}): Promise<Page> {
    const server = new URL(url).origin;
    let current = url;
    let response = await this.#fetch(current, init);
    for (let hops = 0; response.status >= 300 && response.status < 400; hops += 1) {
      if (hops > 10) throw new Error('too many redirects');
      current = new URL(response.headers.get('location')!, current).href;
      if (new URL(current).origin !== server) return { url: current, status: response.status, html: '' };
      response = await this.#fetch(current, {});
    }
    return { url: current, status: response.status, html: await response.text() };
  }

  /** Submits the form whose action ends with `actionSuffix`, pressing the named button if any. */
  async submit(page: Page, actionSuffix: string, fields: Record<string, string> = {}, button?: string): Promise<Page> {
    const form = formsIn(page.html).find((f) => f.action.endsWith(actionSuffix) && (!button || f.buttons.some((b) => b.name === button)));
    if (!form) throw new Error(`no form posting to …${actionSuffix} on ${page.url}`);
    const pressed = button ? form.buttons.find((b) => b.name === button) : undefined;
    const body = new URLSearchParams({ ...form.fields, ...(pressed ? { [pressed.name]: pressed.value } : {}), ...fields });
    return this.visit(new URL(form.action, page.url).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
  }

  async #fetch(url: string, init: RequestInit): Promise<Response> {
    const { hostname } = new URL(url);
    const jar = this.#cookies.get(hostname) ?? new Map<string, string>();
    this.#cookies.set(hostname, jar);
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) } });
    for (const header of response.headers.getSetCookie()) {
      this.cookiesSet.push(header);
      const [pair] = header.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index);
      const value = pair!.slice(index + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(header)) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  }
}

export function formsIn(html: string): Form[] {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)].map(([, attributes, inner]) => {
    const fields: Record<string, string> = {};
    for (const [, input] of inner!.matchAll(/<input\b([^>]*)>/g)) {
      const name = attribute(input!, 'name');
      if (name) fields[name] = attribute(input!, 'value') ?? '';
    }
    const buttons = [...inner!.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/g)].map(([, attrs, label]) => ({
      name: attribute(attrs!, 'name') ?? '',
      value: attribute(attrs!, 'value') ?? '',
      label: label!.trim(),
    }));
    return { action: attribute(attributes!, 'action') ?? '', fields, buttons };
  });
}

function attribute(attributes: string, name: string): string | undefined {
  const match = new RegExp(`\\b${name}="([^"]*)"`).exec(attributes);
  return match?.[1] && decodeEntities(match[1]);
}

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#34|#39);/g, (_, entity: string) =>
    ({ amp: '&', lt: '<', gt: '>', quot: '"', '#34': '"', '#39': "'" })[entity]!);
}
