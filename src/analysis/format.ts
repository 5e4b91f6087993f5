// Number formatting for gate summaries: short, human, stable across runs.

export function percent(rate: number): string {
  if (!Number.isFinite(rate)) return String(rate);
  const value = rate * 100;
  return `${value < 10 && value !== 0 ? value.toFixed(1) : value.toFixed(0)}%`;
}

export function seconds(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return value < 1 ? `${Math.round(value * 1000)}ms` : `${value.toFixed(2)}s`;
}

export function pValue(p: number): string {
  if (p < 0.0001) return "p<0.0001";
  return `p=${p < 0.01 ? p.toFixed(4) : p.toFixed(3)}`;
}

/** A finite, non-negative count, or null for anything else (NaN, ±Inf, negative, missing). */
export function count(value: number | null | undefined): number | null {
  if (value === null || value === undefined || !Number.isFinite(value) || value < 0) return null;
  return value;
}
