// Which forward proxy a request goes through, by the rules kubectl follows (Go's
// http.ProxyFromEnvironment, golang.org/x/net/http/httpproxy), so grayctl
// reaches the API server, Prometheus and web gates the way kubectl and curl do
// behind a corporate proxy:
//   - HTTPS_PROXY (or https_proxy) for https URLs, HTTP_PROXY (or http_proxy) for http;
//   - NO_PROXY (or no_proxy): comma-separated; "*" turns the proxy off; a host name
//     matches itself and its subdomains (".example.com" only the subdomains); an
//     IP address or a CIDR range matches addresses; "host:port" only that port;
//   - localhost and loopback addresses never go through a proxy.
import { BlockList, isIP } from "node:net";

type Env = Record<string, string | undefined>;

/** The proxy URL for `target`, or undefined to connect directly. */
export function proxyFor(target: string | URL, env: Env): string | undefined {
  const url = typeof target === "string" ? new URL(target) : target;
  const https = url.protocol === "https:";
  const proxy = https ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.HTTP_PROXY ?? env.http_proxy);
  if (!proxy) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (isLoopback(host)) return undefined;
  const port = url.port || (https ? "443" : "80");
  if (excluded(host, port, env.NO_PROXY ?? env.no_proxy ?? "")) return undefined;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}

function isLoopback(host: string): boolean {
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) return host === "::1" || host === "0:0:0:0:0:0:0:1";
  return false;
}

function excluded(host: string, port: string, noProxy: string): boolean {
  for (const raw of noProxy.split(",")) {
    let entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === "*") return true;
    if (entry.includes("/")) {
      if (inCidr(host, entry)) return true;
      continue;
    }
    // "host:port" (not an IPv6 address, which has several colons).
    const hostPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
    if (hostPort) {
      if (hostPort[2] !== port) continue;
      entry = hostPort[1];
    }
    entry = entry.replace(/^\[|\]$/g, "");
    if (isIP(entry)) {
      if (entry === host) return true;
      continue;
    }
    if (entry.startsWith("*.")) entry = entry.slice(1);
    if (entry.startsWith(".")) {
      if (host.endsWith(entry)) return true;
    } else if (host === entry || host.endsWith(`.${entry}`)) return true;
  }
  return false;
}

function inCidr(host: string, cidr: string): boolean {
  const family = isIP(host);
  const [network, bits] = cidr.split("/");
  if (!family || isIP(network) !== family || !/^\d+$/.test(bits)) return false;
  const list = new BlockList();
  const type = family === 4 ? "ipv4" : "ipv6";
  try {
    list.addSubnet(network, Number(bits), type);
  } catch {
    return false;
  }
  return list.check(host, type);
}
