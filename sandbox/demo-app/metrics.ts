// Prometheus text exposition of the two series grayctl's metric gates read:
// a request counter by status code and a latency histogram, both for `GET /`.
// The status code's label is `code` unless told otherwise (podinfo: `status`).

export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class RequestMetrics {
  private readonly byCode = new Map<string, number>([
    ["200", 0],
    ["500", 0],
  ]);
  private readonly bucketCounts = DURATION_BUCKETS.map(() => 0);
  private sum = 0;
  private count = 0;

  private readonly statusLabel: string;

  constructor(statusLabel = "code") {
    this.statusLabel = statusLabel;
  }

  observe(code: number, seconds: number): void {
    const key = String(code);
    this.byCode.set(key, (this.byCode.get(key) ?? 0) + 1);
    DURATION_BUCKETS.forEach((le, i) => {
      if (seconds <= le) this.bucketCounts[i]++;
    });
    this.sum += seconds;
    this.count++;
  }

  render(): string {
    const lines = ["# HELP http_requests_total Requests to / by status code.", "# TYPE http_requests_total counter"];
    for (const [code, value] of this.byCode) lines.push(`http_requests_total{${this.statusLabel}="${code}"} ${value}`);
    lines.push(
      "# HELP http_request_duration_seconds Latency of requests to /.",
      "# TYPE http_request_duration_seconds histogram",
    );
    // Buckets are cumulative in the exposition format; observe() already counts each le that holds.
    DURATION_BUCKETS.forEach((le, i) => {
      lines.push(`http_request_duration_seconds_bucket{le="${le}"} ${this.bucketCounts[i]}`);
    });
    lines.push(`http_request_duration_seconds_bucket{le="+Inf"} ${this.count}`);
    lines.push(`http_request_duration_seconds_sum ${this.sum}`);
    lines.push(`http_request_duration_seconds_count ${this.count}`);
    return `${lines.join("\n")}\n`;
  }
}
