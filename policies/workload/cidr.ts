/**
 * CIDR arithmetic for NetworkPolicy ipBlocks. Addresses live in one 128-bit space: an IPv4
 * address a.b.c.d is ::ffff:a.b.c.d, so IPv4-mapped IPv6 notation and IPv4 notation name the
 * same addresses. Pure; no Node APIs.
 */

/** An inclusive range of addresses in the 128-bit space. */
export interface AddressRange {
  lo: bigint;
  hi: bigint;
}

const V4_BASE = 0xffff00000000n;
const V4_SPACE: AddressRange = { lo: V4_BASE, hi: V4_BASE + 0xffffffffn };
const ALL: AddressRange = { lo: 0n, hi: (1n << 128n) - 1n };

function decimal(text: string, max: number): number | undefined {
  if (!/^(0|[1-9][0-9]{0,2})$/.test(text)) return undefined;
  const n = Number(text);
  return n <= max ? n : undefined;
}

function parseV4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    const octet = decimal(part, 255);
    if (octet === undefined) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseV6(text: string): bigint | undefined {
  let groups: string[];
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const split = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const head = split(halves[0]!);
  const tail = halves.length === 2 ? split(halves[1]!) : [];
  // an embedded IPv4 address may end the address and counts as two groups
  const last = (halves.length === 2 ? tail : head).at(-1);
  let v4: bigint | undefined;
  if (last?.includes(".")) {
    v4 = parseV4(last);
    if (v4 === undefined) return undefined;
    (halves.length === 2 ? tail : head).pop();
  }
  const width = v4 === undefined ? 8 : 6;
  if (halves.length === 2) {
    const missing = width - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...Array<string>(missing).fill("0"), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== width) return undefined;
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  return v4 === undefined ? value : (value << 32n) | v4;
}

/**
 * Parses a CIDR as the API server validates it: IPv4 dotted decimal without leading zeros or
 * IPv6 (embedded IPv4 allowed, no zone), and a decimal prefix length within the family's width.
 * Host bits may be set; they are masked off. Returns undefined for anything else.
 */
export function parseCidr(text: string): AddressRange | undefined {
  const slash = text.indexOf("/");
  if (slash < 0 || text.indexOf("/", slash + 1) >= 0) return undefined;
  const address = text.slice(0, slash);
  const isV6 = address.includes(":");
  const prefix = decimal(text.slice(slash + 1), isV6 ? 128 : 32);
  if (prefix === undefined) return undefined;
  const base = isV6 ? parseV6(address) : parseV4(address);
  if (base === undefined) return undefined;
  const value = isV6 ? base : V4_BASE + base;
  const hostBits = BigInt((isV6 ? 128 : 32) - prefix);
  const lo = (value >> hostBits) << hostBits;
  return { lo, hi: lo + (1n << hostBits) - 1n };
}

/** Sorted, merged, non-overlapping. */
export function mergeRanges(ranges: readonly AddressRange[]): AddressRange[] {
  const sorted = [...ranges].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const out: AddressRange[] = [];
  for (const r of sorted) {
    const prev = out.at(-1);
    if (prev && r.lo <= prev.hi + 1n) {
      if (r.hi > prev.hi) prev.hi = r.hi;
    } else out.push({ ...r });
  }
  return out;
}

function subtract(from: readonly AddressRange[], minus: readonly AddressRange[]): AddressRange[] {
  let current = mergeRanges(from);
  for (const m of mergeRanges(minus)) {
    const next: AddressRange[] = [];
    for (const r of current) {
      if (m.hi < r.lo || m.lo > r.hi) {
        next.push(r);
        continue;
      }
      if (r.lo < m.lo) next.push({ lo: r.lo, hi: m.lo - 1n });
      if (r.hi > m.hi) next.push({ lo: m.hi + 1n, hi: r.hi });
    }
    current = next;
  }
  return current;
}

function intersects(set: readonly AddressRange[], target: AddressRange): boolean {
  return set.some((r) => r.lo <= target.hi && r.hi >= target.lo);
}

function coversAll(set: readonly AddressRange[], targets: readonly AddressRange[]): boolean {
  return subtract(targets, set).length === 0;
}

export interface IpBlock {
  cidr: string;
  except?: string[];
}

/** The addresses a set of ipBlocks allow: the union of each cidr minus its excepts. */
export function blockAddresses(blocks: readonly IpBlock[]): AddressRange[] {
  const parts: AddressRange[] = [];
  for (const block of blocks) {
    const cidr = parseCidr(block.cidr);
    if (!cidr) continue;
    const except = (block.except ?? []).map(parseCidr).filter((r) => r !== undefined);
    parts.push(...subtract([cidr], except));
  }
  return mergeRanges(parts);
}

interface NamedRange {
  cidr: string;
  name: string;
  range: AddressRange;
}

function named(cidr: string, name: string): NamedRange {
  return { cidr, name, range: parseCidr(cidr)! };
}

/** Ranges internet egress must except: private, loopback, link-local (cloud metadata), multicast. */
export const INTERNAL_RANGES: readonly NamedRange[] = [
  named("10.0.0.0/8", "private"),
  named("172.16.0.0/12", "private"),
  named("192.168.0.0/16", "private"),
  named("100.64.0.0/10", "carrier-grade NAT"),
  named("127.0.0.0/8", "loopback"),
  named("169.254.0.0/16", "link-local, cloud metadata"),
  named("224.0.0.0/4", "multicast"),
  named("fc00::/7", "unique local"),
  named("::1/128", "loopback"),
  named("fe80::/10", "link-local"),
  named("ff00::/8", "multicast"),
];

/** Special-purpose ranges that are not the public internet and that internet egress may also except. */
const OTHER_NON_PUBLIC: readonly AddressRange[] = [
  "0.0.0.0/8",
  "192.0.0.0/24",
  "192.0.2.0/24",
  "198.18.0.0/15",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "240.0.0.0/4",
  "::/128",
  "100::/64",
  "2001:db8::/32",
].map((c) => parseCidr(c)!);

// Per family, the public addresses and the internal ranges inside it: fixed, so computed once.
const FAMILIES = [
  { family: 4 as const, space: [V4_SPACE] },
  { family: 6 as const, space: subtract([ALL], [V4_SPACE]) },
].map(({ family, space }) => ({
  family,
  space,
  publicSpace: subtract(space, [...INTERNAL_RANGES.map((r) => r.range), ...OTHER_NON_PUBLIC]),
  internal: INTERNAL_RANGES.filter((r) => coversAll(space, [r.range])),
}));

/**
 * How far a set of allowed addresses reaches:
 * - `every-address`: all of IPv4 or all of IPv6, in whatever notation or union;
 * - `public-and-internal`: every public address of a family and some internal range;
 * - `internet`: every public address of a family, with every internal range excepted;
 * - undefined: less than every public address of either family.
 * `reaches` names the internal ranges left open (for `public-and-internal`).
 */
export type Reach =
  | { kind: "every-address"; family: 4 | 6 }
  | { kind: "public-and-internal"; family: 4 | 6; reaches: string[] }
  | { kind: "internet"; families: (4 | 6)[] };

export function classifyReach(allowed: readonly AddressRange[]): Reach | undefined {
  if (allowed.length === 0) return undefined;
  const internet: (4 | 6)[] = [];
  let partial: Reach | undefined;
  for (const { family, space, publicSpace, internal } of FAMILIES) {
    if (coversAll(allowed, space)) return { kind: "every-address", family };
    if (!coversAll(allowed, publicSpace)) continue;
    const open = internal.filter((r) => intersects(allowed, r.range));
    if (open.length > 0) {
      partial ??= {
        kind: "public-and-internal",
        family,
        reaches: open.map((r) => `${r.cidr} (${r.name})`),
      };
    } else internet.push(family);
  }
  return partial ?? (internet.length > 0 ? { kind: "internet", families: internet } : undefined);
}
