// fetch() through the forward proxy the environment names (HTTPS_PROXY,
// HTTP_PROXY, NO_PROXY, by kubectl's rules: util/proxy-env.ts), for Prometheus
// and web gates. Node's own fetch ignores those variables; undici's ProxyAgent
// tunnels https with CONNECT and sends plain http through the proxy as is. A
// request that needs no proxy keeps Node's fetch, as before.
import { ProxyAgent, fetch as undiciFetch } from "undici";
import { proxyFor } from "../util/proxy-env.ts";

export function proxiedFetch(env: Record<string, string | undefined>): typeof fetch {
  const agents = new Map<string, ProxyAgent>();
  return ((input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const proxy = proxyFor(url, env);
    if (!proxy) return fetch(input, init);
    const agent = agents.get(proxy) ?? new ProxyAgent(proxy);
    agents.set(proxy, agent);
    return undiciFetch(url, { ...(init as object), dispatcher: agent }) as unknown as Promise<Response>;
  }) as typeof fetch;
}
