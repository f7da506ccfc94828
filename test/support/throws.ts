import assert from "node:assert/strict";

/** An error class whose instances carry a `code` (ours, RegistryError, ApiException...). */
type CodedErrorClass<E extends { code: unknown }> = abstract new (...args: never[]) => E;

// Tests assert on an error's class and code, not on its message (DESIGN.md "Conventions"). Only
// `code` is read, so these work for any error class that has one.
function assertCode<E extends { code: unknown }>(
  thrown: unknown,
  code: E["code"],
  type: CodedErrorClass<E> | undefined,
  context: string | undefined,
): E {
  const expected = type?.name ?? "an error with a code";
  if (type === undefined) {
    assert.ok(
      thrown instanceof Error && "code" in thrown,
      `expected ${expected}, got ${String(thrown)}`,
    );
  } else {
    assert.ok(thrown instanceof type, `expected ${expected}, got ${String(thrown)}`);
  }
  const error = thrown as E & Error;
  assert.equal(error.code, code, [describe(error), ...(context ? [context] : [])].join("\n"));
  return error;
}

// The message and, where the error class has them, the field problems it lists.
function describe(error: Error): string {
  const problems = "problems" in error && Array.isArray(error.problems) ? error.problems : [];
  return [error.message, ...problems.map((p) => `  ${JSON.stringify(p)}`)].join("\n");
}

/**
 * Asserts that `fn` throws an error with this `code` (and of class `type`, when given); returns
 * the error for further checks. `context` is shown beside the error's message on a mismatch.
 */
export function assertThrowsWithCode<E extends { code: unknown } = Error & { code: unknown }>(
  fn: () => unknown,
  code: E["code"],
  type?: CodedErrorClass<E>,
  context?: string,
): E {
  try {
    fn();
  } catch (e) {
    return assertCode(e, code, type, context);
  }
  assert.fail(`expected ${String(code)}, but nothing was thrown`);
}

/** As assertThrowsWithCode, for a promise that must reject. */
export async function assertRejectsWithCode<
  E extends { code: unknown } = Error & { code: unknown },
>(
  promise: Promise<unknown>,
  code: E["code"],
  type?: CodedErrorClass<E>,
  context?: string,
): Promise<E> {
  try {
    await promise;
  } catch (e) {
    return assertCode(e, code, type, context);
  }
  assert.fail(`expected ${String(code)}, but the promise resolved`);
}
