import fc from "fast-check";
import type { TestContext } from "node:test";

/**
 * The run parameters of the fuzz suites (`test/fuzz/*.fuzz.test.ts`). `npm test` runs them at
 * scale 1 with a fixed seed, so a failure there is reproducible; `npm run fuzz` multiplies every
 * suite's runs (MCP_WARDEN_FUZZ_SCALE, 50 by default). A failure names the seed and the path of
 * the shrunk case and the command that replays exactly that case.
 */
export const FUZZ_SEED = integerFromEnv(
  "MCP_WARDEN_FUZZ_SEED",
  20_261_205,
  -(2 ** 31),
  2 ** 31 - 1,
);
export const FUZZ_SCALE = integerFromEnv("MCP_WARDEN_FUZZ_SCALE", 1, 1, 100_000);
/** Set with the seed to replay one shrunk counterexample of one property. */
const FUZZ_PATH = process.env.MCP_WARDEN_FUZZ_PATH || undefined;

/** A run that takes longer than this is a hang, whatever the machine: generous on purpose. */
export const HANG_MS = 10_000;

function integerFromEnv(name: string, fallback: number, min: number, max: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name}=${JSON.stringify(text)}: expected an integer in [${min}, ${max}]`);
  }
  return value;
}

/** The test's file and name, to print a replay command. */
export type FuzzTest = Pick<TestContext, "name" | "filePath">;

/**
 * Checks `property` with the suite's parameters: `baseRuns` times the scale, the shared seed,
 * no time-based interruption (a slow machine must not change what is checked). Throws with the
 * fast-check report and a replay command when a run fails.
 */
export async function fuzz<Ts>(
  t: FuzzTest,
  property: fc.IRawProperty<Ts>,
  baseRuns: number,
  extra: Partial<fc.Parameters<Ts>> = {},
): Promise<void> {
  const params: fc.Parameters<Ts> = {
    seed: FUZZ_SEED,
    numRuns: baseRuns * FUZZ_SCALE,
    ...(FUZZ_PATH ? { path: FUZZ_PATH } : {}),
    ...extra,
  };
  const details = await fc.check(property, params);
  if (!details.failed) return;
  const report = fc.defaultReportMessage(details) ?? "property failed";
  const file = t.filePath ?? process.argv[1] ?? "<file>";
  const replay =
    `MCP_WARDEN_FUZZ_SEED=${details.seed} MCP_WARDEN_FUZZ_SCALE=${FUZZ_SCALE} ` +
    `MCP_WARDEN_FUZZ_PATH=${details.counterexamplePath ?? ""} ` +
    `node --test --test-name-pattern=${JSON.stringify(`^${escapeRegExp(t.name)}$`)} ${file}`;
  throw new Error(`${report}\n\nReplay this case: ${replay}`, { cause: details.errorInstance });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * What a parser may do with hostile input: return, or throw an error of one of `types` (the
 * project's typed errors carry a `code`). Anything else (a TypeError, a RangeError from a blown
 * stack, an untyped Error) is a bug; so is a run longer than {@link HANG_MS}.
 */
export function returnsOrThrowsTyped(run: () => unknown, types: readonly ErrorClass[]): void {
  const started = performance.now();
  try {
    run();
  } catch (e) {
    assertTyped(e, types);
  }
  assertNoHang(started);
}

/** As {@link returnsOrThrowsTyped}, for an async parser. */
export async function resolvesOrRejectsTyped(
  run: () => Promise<unknown>,
  types: readonly ErrorClass[],
): Promise<void> {
  const started = performance.now();
  try {
    await run();
  } catch (e) {
    assertTyped(e, types);
  }
  assertNoHang(started);
}

function assertTyped(e: unknown, types: readonly ErrorClass[]): void {
  const typed = types.some((type) => e instanceof type);
  if (typed && typeof (e as { code?: unknown }).code === "string") return;
  const what = e instanceof Error ? (e.stack ?? e.message) : String(e);
  throw new Error(`untyped error: ${what}`, { cause: e });
}

function assertNoHang(started: number): void {
  const ms = performance.now() - started;
  if (ms > HANG_MS)
    throw new Error(`one input took ${Math.round(ms)} ms (hang guard ${HANG_MS} ms)`);
}
