import { test } from "node:test";
import assert from "node:assert/strict";
import { checkServer, listedToolsAt } from "../../../policies/evaluation/description-safety.ts";
import {
  attackItems,
  holdoutPresent,
  realServers,
  trickyItems,
} from "../../support/description-corpus.ts";

// The corpora of test/fixtures/descriptions/ (see bench/descriptions.ts for every figure).

const messages = (f: { location?: string; message: string }[]) =>
  f.map((x) => `${x.location ?? ""}: ${x.message}`).join("\n");

test("the real tool lists of published servers give no finding", () => {
  const servers = realServers().filter((s) => s.split === "tune");
  assert.ok(servers.length >= 15, `${servers.length} servers`);
  for (const server of servers) {
    const findings = checkServer(server.surface, listedToolsAt(server.server));
    assert.deepEqual(findings, [], `${server.server}\n${messages(findings)}`);
  }
});

test("benign definitions whose words resemble attacks give no finding", () => {
  for (const item of trickyItems().filter((i) => i.split === "tune")) {
    const findings = checkServer(item.surface);
    assert.deepEqual(findings, [], `${item.id}\n${messages(findings)}`);
  }
});

test("the attack corpus: every category has at least 10 items", () => {
  const items = attackItems();
  const byCategory = new Map<string, number>();
  for (const i of items) byCategory.set(i.category, (byCategory.get(i.category) ?? 0) + 1);
  assert.equal(byCategory.size, 10);
  for (const [category, n] of byCategory) assert.ok(n >= 10, `${category}: ${n}`);
  assert.equal(new Set(items.map((i) => i.id)).size, items.length, "ids are unique");
});

// The holdout (test/fixtures/descriptions/holdout/) is written apart from the detector and is not
// part of every checkout. Round 2's holdout has since been tuned on (split.json), so its figures
// are tuning figures; a fresh holdout put in its place is measured by `npm run bench:descriptions`.
// What is asserted here is the false-positive target and that overall recall does not fall below
// what round 3 first measured on a blind holdout (120/137, 87.6%) less two points.
const HOLDOUT_RECALL_FLOOR = 0.855;
test(
  "held-out corpus: recall no lower than round 3's, real false positives at most 2%",
  { skip: holdoutPresent() ? false : "no holdout in test/fixtures/descriptions/holdout/" },
  () => {
    const holdout = attackItems().filter((i) => i.split === "holdout");
    const rates = new Map<string, { hit: number; total: number }>();
    let hit = 0;
    for (const item of holdout) {
      const r = rates.get(item.category) ?? { hit: 0, total: 0 };
      r.total++;
      if (checkServer(item.surface).length > 0) {
        r.hit++;
        hit++;
      }
      rates.set(item.category, r);
    }
    assert.ok(hit / holdout.length >= HOLDOUT_RECALL_FLOOR, `overall ${hit}/${holdout.length}`);
    assert.equal(rates.size, 10, "every category is held out");
    // False positives: at most 2% of the held-out real tools carry a finding.
    let tools = 0;
    let flagged = 0;
    for (const server of realServers().filter((s) => s.split === "holdout")) {
      const findings = checkServer(server.surface, listedToolsAt(server.server));
      for (const tool of server.surface.tools) {
        tools++;
        const at = `${server.server}:${tool.name}`;
        if (findings.some((f) => f.location === at || f.location?.startsWith(`${at}.`) === true))
          flagged++;
      }
    }
    assert.ok(tools === 0 || flagged / tools <= 0.02, `real false positives ${flagged}/${tools}`);
  },
);

test("every tuned-on attack is found", () => {
  const missed = attackItems()
    .filter((i) => i.split === "tune")
    .filter((i) => checkServer(i.surface).length === 0)
    .map((i) => i.id);
  assert.deepEqual(missed, []);
});
