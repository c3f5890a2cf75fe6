/** What a hub answered one request, as the CLI prints it. */
export interface HubAnswer {
  status: number;
  statusText: string;
  body: string;
}

const TIMEOUT_MS = 30_000;

/** POSTs a WebSub form to any hub (repeated fields for arrays). */
export async function postForm(hub: string, fields: Record<string, string | string[] | undefined>): Promise<HubAnswer> {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) form.append(key, v);
  }
  const res = await fetch(hub, { method: 'POST', body: form, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
  return { status: res.status, statusText: res.statusText, body: await res.text() };
}

/** One line for the status, then the body the hub sent, if any. */
export function describeAnswer(answer: HubAnswer): string {
  const body = answer.body.trim();
  return `${answer.status} ${answer.statusText}${body ? `\n${body}` : ''}\n`;
}

/** WebSub §5.1: 202 Accepted (or 204 from hubs that verify at once) is success. */
export function accepted(answer: HubAnswer): boolean {
  return answer.status >= 200 && answer.status < 300;
}

/** A command-line URL, checked before anything is sent; throws a one-line reason. */
export function httpUrl(raw: string, what: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${what} is not a URL: ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${what} must be an http or https URL: ${raw}`);
  return url.href;
}
