// Container lifecycle hooks as far as a process runtime can honour them.

/**
 * The longest preStop sleep (lifecycle.preStop.sleep.seconds) of a pod's
 * containers: kubelet runs the hooks side by side before SIGTERM, within the
 * grace period. Load-balanced apps use it so that endpoint removal reaches the
 * proxies before the process stops accepting connections.
 */
// biome-ignore lint/suspicious/noExplicitAny: pod specs are unstructured
export function preStopSleepMs(spec: any): number {
  // biome-ignore lint/suspicious/noExplicitAny: container specs are unstructured
  const seconds = (spec?.containers ?? []).map((c: any) => Number(c.lifecycle?.preStop?.sleep?.seconds ?? 0));
  return Math.max(0, ...seconds.filter(Number.isFinite)) * 1000;
}
