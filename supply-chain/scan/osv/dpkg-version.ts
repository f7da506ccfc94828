/**
 * Debian package versions (Debian Policy §5.6.12): `[epoch:]upstream_version[-debian_revision]`,
 * ordered as `dpkg --compare-versions` orders them.
 */

export interface DpkgVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

/**
 * Splits a version into epoch, upstream version and revision, or undefined when it is not one
 * dpkg accepts: the epoch is digits, the upstream version starts with a digit and holds only
 * alphanumerics and `.+-~` (`-` only when there is a revision), the revision only alphanumerics
 * and `.+~`.
 */
export function parseDpkgVersion(version: string): DpkgVersion | undefined {
  const v = version.trim();
  if (v === "") return undefined;
  const colon = v.indexOf(":");
  let epoch = 0;
  let rest = v;
  if (colon >= 0) {
    const e = v.slice(0, colon);
    if (!/^\d+$/.test(e)) return undefined;
    epoch = Number(e);
    if (!Number.isSafeInteger(epoch) || epoch > 2147483647) return undefined;
    rest = v.slice(colon + 1);
  }
  const dash = rest.lastIndexOf("-");
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  const revision = dash >= 0 ? rest.slice(dash + 1) : "";
  if (upstream === "" || !/^\d/.test(upstream)) return undefined;
  if (!/^[A-Za-z0-9.+~-]+$/.test(upstream)) return undefined;
  if (dash >= 0 && !/^[A-Za-z0-9.+~]+$/.test(revision)) return undefined;
  return { epoch, upstream, revision };
}

/** The weight of one character in the non-digit parts: `~` below the end, letters below the rest. */
function order(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === "~") return -1;
  if (/[0-9]/.test(c)) return 0;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";

/** dpkg's `verrevcmp`: alternating non-digit and digit parts, compared in turn. */
function compareParts(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(i < a.length ? a[i] : undefined);
      const bc = order(j < b.length ? b[j] : undefined);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === "0") i++;
    while (b[j] === "0") j++;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (firstDiff === 0) firstDiff = (a.charCodeAt(i) - b.charCodeAt(j)) | 0;
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** Compares two parsed versions: epoch, then upstream version, then revision. */
export function compareDpkgVersions(a: DpkgVersion, b: DpkgVersion): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return Math.sign(compareParts(a.upstream, b.upstream) || compareParts(a.revision, b.revision));
}
