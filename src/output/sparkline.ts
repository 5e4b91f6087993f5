// E-values as a one-line chart (status --verbose, the CI summary): each look a
// block, its height ln(e) / ln(threshold) — ▁ at e ≤ 1 (no evidence against
// the canary), █ at the threshold or above (the gate failed).
const BLOCKS = "▁▂▃▄▅▆▇█";

export function eSparkline(values: readonly number[], threshold: number): string {
  const top = Math.log(threshold);
  return values
    .map((value) => {
      const level = value > 1 && top > 0 ? Math.min(1, Math.log(value) / top) : 0;
      return BLOCKS[Math.round(level * (BLOCKS.length - 1))];
    })
    .join("");
}

/** An e-value in few characters: 0.84, 37, 1.2e+4. */
export function eText(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return value >= 1000 ? value.toExponential(1) : Number(value.toPrecision(2)).toString();
}

/** "▁▂▅█ 0.9 → 250": the path of the larger of each look's e-values (comparison, ceiling). */
export function evidencePath(values: readonly number[], threshold: number): string {
  if (values.length === 0) return "";
  return `${eSparkline(values, threshold)} ${eText(values[0])} → ${eText(values[values.length - 1])}`;
}
