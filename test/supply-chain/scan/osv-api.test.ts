import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { osvApi } from "../../../supply-chain/scan/osv/api.ts";
import { pep503Name } from "../../../supply-chain/scan/osv/versions.ts";

import { WardenError } from "../../../policies/errors.ts";
import { locked } from "../../support/scan.ts";
import { assertRejectsWithCode } from "../../support/throws.ts";

// A stand-in for api.osv.dev on loopback, answering in the real API's shapes: querybatch lists
// `{id, modified}` per query (every advisory naming the package, whatever the version, so the
// client's own range matching is what decides), `/v1/vulns/{id}` serves the record.
const fixtures = new URL("../../fixtures/osv/", import.meta.url);
const records = new Map<string, Record<string, unknown>>();
for (const dir of ["npm", "PyPI", "edge-cases"])
  for (const file of readdirSync(new URL(`${dir}/`, fixtures))) {
    const record = JSON.parse(readFileSync(new URL(`${dir}/${file}`, fixtures), "utf8")) as {
      id: string;
    };
    records.set(record.id, record);
  }

function idsFor(ecosystem: string, name: string): { id: string; modified: string }[] {
  const key = (e: string, n: string) => `${e}/${e === "PyPI" ? pep503Name(n) : n}`;
  return [...records.values()]
    .filter((r) =>
      (r.affected as { package?: { ecosystem: string; name: string } }[] | undefined)?.some(
        (a) => a.package && key(a.package.ecosystem, a.package.name) === key(ecosystem, name),
      ),
    )
    .map((r) => ({ id: String(r.id), modified: String(r.modified) }));
}

interface Behaviour {
  /** Answer every request with this status. */
  status?: number;
  /** Delay before answering, ms. */
  delayMs?: number;
  /** Page every query's vulns one per page. */
  paginate?: boolean;
}

let behaviour: Behaviour = {};
const seen: { method: string; path: string; queries?: number; tokens?: number }[] = [];
let server: Server;
let baseUrl: string;

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

before(async () => {
  server = createServer((req, res) => {
    void (async () => {
      const text = await body(req);
      const path = req.url ?? "";
      const reply = (status: number, value: unknown) => {
        const send = () => {
          if (res.destroyed) return;
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(value));
        };
        if (behaviour.delayMs) setTimeout(send, behaviour.delayMs).unref();
        else send();
      };
      if (behaviour.status !== undefined)
        return reply(behaviour.status, { code: 13, message: "internal error" });
      if (req.method === "POST" && path === "/v1/querybatch") {
        const { queries } = JSON.parse(text) as {
          queries: {
            package: { ecosystem: string; name: string };
            version: string;
            page_token?: string;
          }[];
        };
        seen.push({
          method: "POST",
          path,
          queries: queries.length,
          tokens: queries.filter((q) => q.page_token !== undefined).length,
        });
        if (queries.length > 1000) return reply(400, { code: 3, message: "Too many queries." });
        const results = queries.map((q) => {
          const vulns = idsFor(q.package.ecosystem, q.package.name);
          if (!behaviour.paginate) return vulns.length === 0 ? {} : { vulns };
          const at = q.page_token === undefined ? 0 : Number(q.page_token);
          const page = vulns.slice(at, at + 1);
          return {
            ...(page.length > 0 ? { vulns: page } : {}),
            ...(at + 1 < vulns.length ? { next_page_token: String(at + 1) } : {}),
          };
        });
        return reply(200, { results });
      }
      const m = /^\/v1\/vulns\/([^/]+)$/.exec(path);
      if (req.method === "GET" && m) {
        seen.push({ method: "GET", path });
        const record = records.get(decodeURIComponent(m[1] ?? ""));
        return record ? reply(200, record) : reply(404, { code: 5, message: "Bug not found." });
      }
      reply(404, { code: 5, message: "Not found" });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function reset(next: Behaviour = {}): void {
  behaviour = next;
  seen.length = 0;
}

test("matches the real advisories through querybatch and vulns, with local range semantics", async () => {
  reset();
  const source = osvApi({ baseUrl });
  assert.equal(source.description, `osv API (${baseUrl})`);
  const matches = await source.matches([
    locked("npm", "@modelcontextprotocol/server-filesystem", "2025.3.28"),
    locked("npm", "@modelcontextprotocol/server-filesystem", "2025.7.1"),
    locked("npm", "mcp-remote", "0.1.15"),
    locked("npm", "mcp-remote", "0.1.16"),
    locked("PyPI", "mcp", "1.22.0"),
    locked("PyPI", "mcp", "1.23.0"),
    locked("npm", "left-pad", "1.3.0"),
  ]);
  assert.deepEqual(
    matches.map((m) => `${m.package.name}@${m.package.version} ${m.finding.id}`),
    [
      "@modelcontextprotocol/server-filesystem@2025.3.28 GHSA-hc55-p739-j48w",
      "@modelcontextprotocol/server-filesystem@2025.3.28 GHSA-q66q-fx2p-7w4m",
      "mcp-remote@0.1.15 GHSA-6xpm-ggf7-wc3p",
      "mcp@1.22.0 GHSA-9h52-p55h-vw2f",
    ],
  );
  assert.equal(matches[2]?.finding.severity.level, "critical");
  // One batch; each distinct advisory fetched once.
  assert.deepEqual(
    seen.filter((s) => s.method === "POST").map((s) => s.queries),
    [7],
  );
  assert.equal(seen.filter((s) => s.method === "GET").length, 4);
});

test("queries are batched under the limit and duplicates asked once", async () => {
  reset();
  const many = Array.from({ length: 2345 }, (_, i) => locked("npm", `pkg-${i}`, "1.0.0"));
  const packages = [
    ...many,
    locked("npm", "mcp-remote", "0.1.0"),
    locked("npm", "mcp-remote", "0.1.0"),
  ];
  const matches = await osvApi({ baseUrl }).matches(packages);
  assert.equal(matches.length, 2); // both entries reported, each with its package
  assert.deepEqual(
    seen.filter((s) => s.method === "POST").map((s) => s.queries),
    [1000, 1000, 346],
  );
  reset();
  await osvApi({ baseUrl, batchSize: 500 }).matches(many.slice(0, 1200));
  assert.deepEqual(
    seen.filter((s) => s.method === "POST").map((s) => s.queries),
    [500, 500, 200],
  );
});

test("next_page_token is followed per query", async () => {
  reset({ paginate: true });
  const matches = await osvApi({ baseUrl }).matches([
    locked("npm", "@modelcontextprotocol/server-filesystem", "2025.3.28"),
    locked("npm", "mcp-remote", "0.1.15"),
  ]);
  assert.deepEqual(
    matches.map((m) => m.finding.id),
    ["GHSA-hc55-p739-j48w", "GHSA-q66q-fx2p-7w4m", "GHSA-6xpm-ggf7-wc3p"],
  );
  // Round 1 asks both; round 2 asks only the query that had a second page, with its token.
  assert.deepEqual(
    seen.filter((s) => s.method === "POST").map((s) => [s.queries, s.tokens]),
    [
      [2, 0],
      [1, 1],
    ],
  );
});

test("an HTTP error fails with VULNERABILITY_SOURCE_FAILED naming the URL and status", async () => {
  reset({ status: 500 });
  const error = await assertRejectsWithCode(
    osvApi({ baseUrl }).matches([locked("npm", "mcp-remote", "0.1.15")]),
    "VULNERABILITY_SOURCE_FAILED",
    WardenError,
  );
  assert.ok(error.message.includes(`${baseUrl}/v1/querybatch`));
  assert.ok(error.message.includes("500"));
});

test("a vulns request that fails names its URL", async () => {
  reset();
  records.set("MCPW-TEST-gone", {
    id: "MCPW-TEST-gone",
    modified: "2026-01-01T00:00:00Z",
    affected: [{ package: { ecosystem: "npm", name: "edge-gone" }, versions: ["1.0.0"] }],
  });
  const fetchMissing: typeof fetch = (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    return fetch(url.replace("MCPW-TEST-gone", "MCPW-TEST-missing"), init);
  };
  try {
    const error = await assertRejectsWithCode(
      osvApi({ baseUrl, fetch: fetchMissing }).matches([locked("npm", "edge-gone", "1.0.0")]),
      "VULNERABILITY_SOURCE_FAILED",
      WardenError,
    );
    assert.ok(error.message.includes("/v1/vulns/MCPW-TEST-gone"));
    assert.ok(error.message.includes("404"));
  } finally {
    records.delete("MCPW-TEST-gone");
  }
});

test("an invalid advisory from the API fails with OSV_RECORD_INVALID naming its URL", async () => {
  reset();
  records.set("MCPW-TEST-broken", {
    id: "MCPW-TEST-broken",
    modified: "2026-01-01T00:00:00Z",
    affected: [
      {
        package: { ecosystem: "npm", name: "edge-broken" },
        ranges: [{ type: "SEMVER", events: [{ fixed: "1.0.0" }] }],
      },
    ],
  });
  try {
    const error = await assertRejectsWithCode(
      osvApi({ baseUrl }).matches([locked("npm", "edge-broken", "0.1.0")]),
      "OSV_RECORD_INVALID",
      WardenError,
    );
    assert.ok(error.message.includes(`${baseUrl}/v1/vulns/MCPW-TEST-broken`));
    assert.deepEqual(
      error.problems.map((p) => p.path),
      ["affected[0].ranges[0].events"],
    );
  } finally {
    records.delete("MCPW-TEST-broken");
  }
});

test("a server slower than the deadline fails within it", async () => {
  reset({ delayMs: 5000 });
  const start = Date.now();
  const error = await assertRejectsWithCode(
    osvApi({ baseUrl, timeoutMs: 300 }).matches([locked("npm", "mcp-remote", "0.1.15")]),
    "VULNERABILITY_SOURCE_FAILED",
    WardenError,
  );
  const elapsed = Date.now() - start;
  assert.ok(error.message.includes(`${baseUrl}/v1/querybatch`));
  assert.ok(error.message.includes("300 ms"));
  assert.ok(elapsed < 2000, `took ${elapsed} ms`);
});

test("the caller's signal aborts the scan", async () => {
  reset({ delayMs: 5000 });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100).unref();
  const error = await assertRejectsWithCode(
    osvApi({ baseUrl }).matches([locked("npm", "mcp-remote", "0.1.15")], {
      signal: controller.signal,
    }),
    "VULNERABILITY_SOURCE_FAILED",
    WardenError,
  );
  assert.ok(error.message.includes("aborted"));
});

test("an unreachable API fails with VULNERABILITY_SOURCE_FAILED", async () => {
  reset();
  // A port nothing listens on: take one from a server and close it.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const error = await assertRejectsWithCode(
    osvApi({ baseUrl: `http://127.0.0.1:${port}/`, timeoutMs: 2000 }).matches([
      locked("npm", "mcp-remote", "0.1.15"),
    ]),
    "VULNERABILITY_SOURCE_FAILED",
    WardenError,
  );
  assert.ok(error.message.includes(`http://127.0.0.1:${port}/v1/querybatch`));
  // One error that says what to do without the network.
  assert.ok(error.message.includes("ECONNREFUSED"), error.message);
  assert.ok(error.message.includes("--vulnerability-db PATH"), error.message);
  assert.ok(error.message.includes("mcp-warden db download"), error.message);
});
