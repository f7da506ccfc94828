import assert from "node:assert/strict";
import { WardenError } from "../../policies/errors.ts";
import type { Ecosystem, LockedPackage } from "../../supply-chain/scan/types.ts";

/** A locked package as a lockfile parser would report it. */
export function locked(ecosystem: Ecosystem, name: string, version: string): LockedPackage {
  return { ecosystem, name, version, file: "lock" };
}

/** The WardenError a promise rejects with; fails the test when it resolves or rejects otherwise. */
export async function rejection(promise: Promise<unknown>): Promise<WardenError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof WardenError, `expected a WardenError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected a rejection");
}
