// Anytime-valid e-processes for counts that arrive in batches (one batch per
// look). Each is a mixture of likelihood ratios over a discrete grid of
// alternatives; for every grid point the running product is a nonnegative
// supermartingale under the null, so their weighted average is one too, and
// Ville's inequality gives P(sup_t E_t ≥ 1/α) ≤ α however often, and for
// however long, anyone looks. References (implemented from the papers, no
// code copied):
//  - Ramdas, Grünwald, Vovk, Shafer, "Game-theoretic statistics and safe
//    anytime-valid inference", arXiv 2210.01948 (e-processes, Ville).
//  - Lindon & Malek, "Anytime-valid inference for multinomial count data",
//    NeurIPS 2022, arXiv 2011.03567 (mixtures for count data).
//  - Lindon, Sanden & Shirikian, "Rapid regression detection in software
//    deployments through sequential testing", KDD 2022, arXiv 2205.14762
//    (canary vs control as counting processes; condition on the total count
//    so that the shared, unknown and drifting rate drops out).
//
// Why a discrete grid and not a conjugate Beta prior: the request shares
// change from look to look (steps move traffic, rates drift), so the
// canary's share of events has no single Beta-conjugate parameter. A finite
// mixture is exact: no quadrature error can leak into the guarantee.

/** Alternatives as multiples of the null's boundary (each > 1), with prior weights summing to 1. */
export interface MixturePrior {
  /** ln(alternative / boundary), each > 0. */
  logLifts: number[];
  weights: number[];
}

/**
 * `points` alternatives spaced evenly in log between `lowest` and `highest`
 * times the boundary, weighted ∝ exp(−(ln lift − ln center)² / 2 spread²)
 * (a log-normal bump; spread = Infinity gives equal weights).
 */
export function logGridPrior(options: {
  lowest: number;
  highest: number;
  points: number;
  center?: number;
  spread?: number;
}): MixturePrior {
  const { lowest, highest, points } = options;
  if (!(lowest > 1 && highest > lowest && points >= 2)) throw new Error("logGridPrior: need 1 < lowest < highest");
  const step = (Math.log(highest) - Math.log(lowest)) / (points - 1);
  const logLifts = Array.from({ length: points }, (_, i) => Math.log(lowest) + i * step);
  const center = Math.log(options.center ?? Math.sqrt(lowest * highest));
  const spread = options.spread ?? Number.POSITIVE_INFINITY;
  const raw = logLifts.map((x) => (Number.isFinite(spread) ? Math.exp(-((x - center) ** 2) / (2 * spread ** 2)) : 1));
  const total = raw.reduce((a, b) => a + b, 0);
  return { logLifts, weights: raw.map((w) => w / total) };
}

/** ln Σ w_k exp(l_k), without overflow. */
export function logMixture(weights: number[], logLikelihoods: ArrayLike<number>): number {
  let top = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < weights.length; k++) if (logLikelihoods[k] > top) top = logLikelihoods[k];
  if (top === Number.NEGATIVE_INFINITY) return top;
  let sum = 0;
  for (let k = 0; k < weights.length; k++) sum += weights[k] * Math.exp(logLikelihoods[k] - top);
  return top + Math.log(sum);
}

/**
 * H0: the canary's event rate ≤ `margin` × stable's, in every look.
 * Given the E = x + y events of one look (x canary, y stable), and canary
 * and stable request counts n and m, the canary's events are
 * Binomial(E, nθ / (nθ + m)) where θ is the ratio of the two rates. Under
 * H0 θ ≤ margin, and the likelihood ratio of θ_k = margin·lift_k against
 * θ = margin is monotone in x, so it is a supermartingale for every θ ≤ margin:
 *   ln LR_k = x·ln(lift_k) + E·ln((n·margin + m) / (n·margin·lift_k + m)).
 * Conditioning on E is what makes the test blind to the shared rate: a
 * burst or a drift that hits both tracks alike changes E, not the split.
 */
export class ShareEProcess {
  readonly margin: number;
  readonly prior: MixturePrior;
  private readonly logLikelihoods: Float64Array;
  private readonly lifts: number[];

  constructor(margin: number, prior: MixturePrior) {
    if (!(margin > 0)) throw new Error("ShareEProcess: margin must be > 0");
    this.margin = margin;
    this.prior = prior;
    this.logLikelihoods = new Float64Array(prior.logLifts.length);
    this.lifts = prior.logLifts.map(Math.exp);
  }

  /** One look's batch. Counts are whole numbers with events ≤ requests (checked by the caller). */
  observe(canaryRequests: number, canaryEvents: number, stableRequests: number, stableEvents: number): void {
    const events = canaryEvents + stableEvents;
    if (events === 0 || canaryRequests === 0) return; // nothing to split: the ratio is 1 for every θ
    const nullDenominator = canaryRequests * this.margin + stableRequests;
    for (let k = 0; k < this.logLikelihoods.length; k++) {
      this.logLikelihoods[k] +=
        canaryEvents * this.prior.logLifts[k] +
        events * Math.log(nullDenominator / (canaryRequests * this.margin * this.lifts[k] + stableRequests));
    }
  }

  /** ln E_t: the running log e-value. */
  logEValue(): number {
    return logMixture(this.prior.weights, this.logLikelihoods);
  }
}

/**
 * H0: the canary's event rate ≤ `ceiling` (an absolute rate, 0 < ceiling < 1),
 * in every look. Alternatives are odds lifts: odds_k = odds(ceiling)·lift_k,
 * and each look's x events out of n requests add
 *   ln LR_k = x·ln(r_k / ceiling) + (n − x)·ln((1 − r_k) / (1 − ceiling)),
 * a likelihood ratio with expectation ≤ 1 for every true rate ≤ ceiling.
 */
export class CeilingEProcess {
  readonly ceiling: number;
  readonly prior: MixturePrior;
  private readonly logLikelihoods: Float64Array;
  private readonly logUp: number[];
  private readonly logDown: number[];

  constructor(ceiling: number, prior: MixturePrior) {
    if (!(ceiling > 0 && ceiling < 1)) throw new Error("CeilingEProcess: ceiling must be in (0, 1)");
    this.ceiling = ceiling;
    this.prior = prior;
    this.logLikelihoods = new Float64Array(prior.logLifts.length);
    const nullOdds = ceiling / (1 - ceiling);
    this.logUp = [];
    this.logDown = [];
    for (const logLift of prior.logLifts) {
      const odds = nullOdds * Math.exp(logLift);
      const rate = odds / (1 + odds);
      this.logUp.push(Math.log(rate / ceiling));
      this.logDown.push(Math.log((1 - rate) / (1 - ceiling)));
    }
  }

  observe(requests: number, events: number): void {
    if (requests === 0) return;
    for (let k = 0; k < this.logLikelihoods.length; k++) {
      this.logLikelihoods[k] += events * this.logUp[k] + (requests - events) * this.logDown[k];
    }
  }

  logEValue(): number {
    return logMixture(this.prior.weights, this.logLikelihoods);
  }
}
