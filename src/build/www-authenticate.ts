// Pure: parses a registry's WWW-Authenticate challenge (RFC 7235 auth-params),
// e.g. Bearer realm="https://auth.example.com/token",service="registry",scope="repository:a/b:pull".

export interface AuthChallenge {
  scheme: "bearer" | "basic" | string;
  params: Record<string, string>;
}

export function parseWwwAuthenticate(header: string | null | undefined): AuthChallenge | undefined {
  if (!header) return undefined;
  const match = /^\s*([A-Za-z][A-Za-z0-9._~+/-]*)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  // name=value or name="quoted, with \"escapes\""; commas separate pairs.
  const pair = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/g;
  for (let found = pair.exec(match[2]); found; found = pair.exec(match[2])) {
    const value = found[2] !== undefined ? found[2].replace(/\\(.)/g, "$1") : found[3];
    params[found[1].toLowerCase()] = value;
  }
  return { scheme: match[1].toLowerCase(), params };
}
