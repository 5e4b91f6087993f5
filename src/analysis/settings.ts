// The metric-analysis settings, as the config layer hands them over (already
// validated and defaulted there). Kept free of zod so the analysis core does
// not depend on the config module.

export interface PrometheusSettings {
  url: string;
  headers?: Record<string, string>;
  /** Secret: never echoed in results, errors or messages. */
  bearerToken?: string;
  username?: string;
  /** Secret: never echoed in results, errors or messages. */
  password?: string;
  /** Per-request timeout. */
  timeoutMs: number;
  /** Optional: all attempts of one query together end by this deadline (default 3 × timeoutMs). */
  deadlineMs?: number;
  /** Optional: GET puts the query in the URL; POST (default) sends it as a form. */
  method?: "GET" | "POST";
  /** Optional: label names that select a track's series (defaults: namespace, app, track). */
  labels?: Partial<SelectorLabels>;
}

export interface SelectorLabels {
  namespace: string;
  app: string;
  track: string;
}

export const defaultLabels: SelectorLabels = {
  namespace: "namespace",
  app: "app",
  track: "track",
};

export interface MetricCheck {
  /** Built-ins: "error-rate", "latency-p99" (seconds); any other name needs `query`. */
  name: string;
  query?: string;
  min?: number;
  max?: number;
  /** latency-p99 only, seconds: the fixed "slow" bound the canary's share is compared at (default: stable's p99). */
  slowerThan?: number;
  /** Built-ins only: this gate's false-rollback budget over a whole rollout (default 0.01). */
  alpha?: number;
}

export interface MetricsSettings {
  provider: "prometheus" | "pods";
  prometheus?: PrometheusSettings;
  /** Optional: the request counter's label holding the HTTP status; unset → the common names in order (status-label.ts). */
  statusLabel?: string;
  /** Requests a track must serve in a window before a verdict; fewer → inconclusive. */
  minRequests: number;
  checks: MetricCheck[];
  /** The step window. */
  intervalMs: number;
  /** Optional: pods provider scrape timeout per pod (default 5 s) and parallel scrapes (default 8). */
  pods?: { timeoutMs?: number; concurrency?: number };
}

/** Time, injected so the core never reads the wall clock itself. */
export interface AnalysisClock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
