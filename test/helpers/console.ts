/** A signed-in admin console client over plain HTTP: a cookie jar, and actions confirmed as a person would. */
export interface ConsoleClient {
  get(path: string): Promise<{ status: number; text: string; headers: Headers }>;
  /** Opens the action's confirm page and submits its form (with the CSRF token the page carries). */
  act(action: string, query: Record<string, string>): Promise<{ status: number; location: string | null }>;
  /** POSTs a form as is (no token added). */
  post(path: string, fields: Record<string, string>): Promise<{ status: number; text: string }>;
  /** The Cookie header this client sends now (to replay it as a thief would). */
  cookie(): string;
}

export async function signInConsole(hubUrl: string, token: string): Promise<ConsoleClient> {
  const base = new URL('/admin/ui', hubUrl).href;
  const jar = new Map<string, string>();
  const remember = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const request = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}${path}`, { ...init, redirect: 'manual', headers: { ...(init.headers ?? {}), cookie: cookie() } });
    remember(res);
    return res;
  };
  const post = async (path: string, fields: Record<string, string>) => {
    const res = await request(path, {
      method: 'POST',
      body: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    return { status: res.status, text: await res.text(), location: res.headers.get('location') };
  };
  const signedIn = await post('/sign-in', { token });
  if (signedIn.status !== 303) throw new Error(`sign-in answered ${signedIn.status}`);
  return {
    async get(path) {
      const res = await request(path);
      return { status: res.status, text: await res.text(), headers: res.headers };
    },
    async act(action, query) {
      const page = await request(`/confirm/${action}?${new URLSearchParams(query)}`);
      const html = await page.text();
      if (page.status !== 200) throw new Error(`confirm page of ${action} answered ${page.status}: ${html}`);
      const fields: Record<string, string> = {};
      for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]] = decodeEntities(m[2]);
      const res = await post(`/actions/${action}`, fields);
      return { status: res.status, location: res.location };
    },
    post,
    cookie,
  };
}

function decodeEntities(text: string): string {
  return text
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
