import type { ClientRequest } from './application.js';

export interface RouterClientOptions {
  routerUrl: string;
  apiToken?: string;
  /** How long to keep resending while the router answers 404 (routes not arrived yet) or 503; default 10 s. */
  patienceMs?: number;
}

/**
 * Sends a window of client requests to an application behind the router, in batches. Resending is safe (the ids
 * make the router store each request once), so a 404 right after a deploy (its NOTIFY still on the way) or a 503
 * is waited out with backoff; any other refusal throws with the router's reason.
 */
export async function sendApplicationRequests(
  options: RouterClientOptions,
  application: string,
  requests: readonly ClientRequest[],
  batchSize = 500,
): Promise<void> {
  const url = `${options.routerUrl.replace(/\/$/, '')}/v1/applications/${encodeURIComponent(application)}/predict`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.apiToken) headers.authorization = `Bearer ${options.apiToken}`;
  for (let i = 0; i < requests.length; i += batchSize) {
    const body = JSON.stringify({ instances: requests.slice(i, i + batchSize) });
    const deadline = Date.now() + (options.patienceMs ?? 10_000);
    for (let delay = 50; ; delay = Math.min(delay * 2, 1_000)) {
      const res = await fetch(url, { method: 'POST', headers, body }).catch((caught: unknown) => {
        const err = caught as Error;
        // fetch says only "fetch failed"; the cause (ECONNREFUSED …) is what an operator needs.
        throw new Error(
          `router ${url} unreachable: ${(err.cause as Error | undefined)?.message ?? err.message} (is the router running? LEARNLOOP_ROUTER_URL)`,
        );
      });
      if (res.ok) {
        await res.arrayBuffer(); // read to the end, so the connection goes back to the pool idle
        break;
      }
      const reason = ((await res.json().catch(() => ({}))) as { error?: string }).error ?? res.statusText;
      if (![404, 503].includes(res.status) || Date.now() + delay > deadline)
        throw new Error(`router ${url} answered ${res.status}: ${reason}`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
