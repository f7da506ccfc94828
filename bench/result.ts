// The machine-readable last line of a benchmark, collected by `npm run bench`
// (scripts/bench-report.ts): `BENCH_RESULT {"bench":…,"figures":[…]}`. Each figure is measured
// side by side with its baseline in the same run, so the ratio survives a noisy machine.
export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  /** What the figure is compared with, measured in the same run (or a fixed target). */
  baseline?: { name: string; value: number };
  /** value / baseline.value, unless said otherwise in the name. */
  ratio?: number;
}

export function printBenchResult(bench: string, figures: BenchFigure[]): void {
  const round = (n: number) => Math.round(n * 1000) / 1000;
  const out = figures.map((f) => ({
    ...f,
    value: round(f.value),
    ...(f.baseline
      ? {
          baseline: { ...f.baseline, value: round(f.baseline.value) },
          ratio: round(f.ratio ?? f.value / f.baseline.value),
        }
      : {}),
  }));
  console.log(`BENCH_RESULT ${JSON.stringify({ bench, figures: out })}`);
}
