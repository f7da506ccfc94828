import type { Ecosystem, LockedPackage } from "../../supply-chain/scan/types.ts";

/** A locked package as a lockfile parser would report it. */
export function locked(ecosystem: Ecosystem, name: string, version: string): LockedPackage {
  return { ecosystem, name, version, file: "lock" };
}
