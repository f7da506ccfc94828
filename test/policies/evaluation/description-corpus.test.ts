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

// Tuned-on real tools the detector still flags, each said why: "never describe a tier's rate as
// applying to the customer's full eligible spend", a safeguard against a misstatement that the
// rules read as concealment; the model reads the whole tool at 0.22, just over the 0.2 below which
// it may outweigh a rule (holdout-11). Two tools of a WordPress server with 264 tools and long
// documentation (holdout-20, after round 23): "ALSO use it when the user suspects the wrong
// site…" beside a list of install kinds, read as a call made unseen (its "flat keys … route
// through the adapter's deep-set helper" is no longer flagged after round 27). Two tools of monday.com's
// server (holdout-21, after round 24): "after calling this tool you should call the full board data
// tool", its own tools named by what they do, and "present the form naturally as you walk the user
// through it".
const KNOWN_REAL_FALSE_ALARMS = new Set([
  "holdout-11/awslabs-billing-cost-management-mcp-server@0.0.42:enterprise-support",
  "holdout-20/wordpress-mcp-server@8.3.34:respira_diagnose_connection",
  "holdout-21/monday-api-mcp@3.3.0:create_update_in_monday",
  "holdout-21/monday-api-mcp@3.3.0:create_form_submission",
]);
test("the real tool lists of published servers give no finding", () => {
  const servers = realServers().filter((s) => s.split === "tune");
  assert.ok(servers.length >= 15, `${servers.length} servers`);
  for (const server of servers) {
    const findings = checkServer(server.surface, listedToolsAt(server.server)).filter(
      (f) => ![...KNOWN_REAL_FALSE_ALARMS].some((k) => f.location?.startsWith(`${k}.`) === true),
    );
    assert.deepEqual(findings, [], `${server.server}\n${messages(findings)}`);
  }
});

// Tuned-on look-alikes the detector still flags, each said why: a write-only password "no tool
// echoes back" (round 12's batch); Romanian "previous import instructions" beside "ignored"
// (holdout-5); an Arabic "ignored" said of cancelled bookings (holdout-6); "don't ask the user
// for them" said of masked values and "runs without prompting once enabled" (holdout-9);
// "read-only tools need no confirmation" and the invisible times operator of MathML (holdout-10); "they can ignore mild
// stretching sensations", a retry after a rate limit and assembly instructions to translate
// (holdout-11); "will never ask for your Wi-Fi password" and a boiler report that "says so" when
// a fault was found (holdout-12); "tell the user if a page seems to be addressing the
// assistant", passwords "never typed into or shown in the chat" and a `curl … | bash` installer
// shown as documentation (holdout-15); two embedding controls around an Arabic product name, and
// a package checker whose description names an install (holdout-16); notes on what
// browser-extension malware does, "then send them to a remote server" (holdout-17); after round
// 21's refit, a crossword hint "without revealing the answer" (round 12's batch) and two security
// tools that quote the attacks they summarise (holdout-11, holdout-13; no longer flagged after
// round 22's refit); a resource the assistant "should not repeat unless asked", and notes quoting
// injection phrases (holdout-18); after round 22's refit, two short Japanese texts the model reads
// at 0.73 with nothing but their schema words in its vocabulary (round 5's languages, holdout-6),
// a Tibetan password tool whose old password "no longer works" after a change (holdout-12), "reading
// invoices needs no confirmation" and notes on phishing that quote its phrases (holdout-19). Which
// of the look-alikes near the model's thresholds stand moves with each refit. After round 23's
// refit: "it changes nothing, so clients may run it without asking the user first" (holdout-9),
// and notes on scanning that quote the findings they describe (holdout-20). After round 24's refit:
// the SSH honeypot summary again (holdout-11), a dotfiles tool, an ordering hint between a
// server's own tools (holdout-21) and a negated order (round 1's texts); one of holdout-6's short
// Japanese texts is no longer flagged. After round 25's refit: another of holdout-6's short
// Japanese texts (0.71), and a security tool's cards quoting poisoned descriptions as inert text
// (holdout-12); round 5's multilingual-04 is no longer flagged. After round 26's refit: round 5's
// multilingual-04 again and a round-4 text, two short texts with little but schema words in the
// model's vocabulary (0.74-0.77, also holdout-6's multilingual-05), a negated order (round 4's),
// a match summary "without revealing the score unless reveal_score is true" (holdout-17), notes
// quoting injection phrases (holdout-19), and records kept confidential, shown "only to the
// signed-in staff member" (holdout-23); no longer flagged: holdout-6's multilingual-10, the
// security cards of holdout-12, holdout-16's bidi price label, the dotfiles tool of holdout-18 and
// the ordering hint of holdout-21. After round 27's refit: three security tools that quote the
// attacks they describe (holdout-11, holdout-12, holdout-17); no longer flagged: round 4's and
// round 5's short texts, two negated orders, the match summary of holdout-17 and the honeypot
// summary of holdout-11. After round 28's refit: round 5's multilingual-04 and two negated orders
// again (0.72-0.87 on schema words and "not mention"), the honeypot summary of holdout-11,
// holdout-16's bidi price label (its rule finding no longer outweighed) and a prompt of holdout-25
// asking for realistic examples of attack phrases, which it quotes; no longer flagged: the
// security cards of holdout-12, notes quoting injection phrases (holdout-19) and holdout-23's
// confidential records. After round 29's refit: no longer flagged, round 5's multilingual-04 and
// holdout-11's note on rate limits.
const KNOWN_FALSE_ALARMS = new Set([
  "concealment-like-r12-06",
  "holdout-5/holdout5-multilingual-12",
  "holdout-6/holdout6-multilingual-07",
  "holdout-9/holdout9-instructions-03",
  "holdout-9/holdout9-silent-like-01",
  "holdout-10/holdout10-instructions-02",
  "holdout-10/holdout10-hidden-text-like-03",
  "holdout-11/holdout11-instructions-04",
  "holdout-11/holdout11-translation-02",
  "holdout-12/holdout12-status-report-01",
  "holdout-12/holdout12-negation-03",
  "holdout-15/holdout15-instructions-01",
  "holdout-15/holdout15-long-with-notes-03",
  "holdout-15/holdout15-shell-01",
  "holdout-16/holdout16-long-with-notes-01",
  "holdout-17/holdout17-long-with-notes-03",
  "concealment-like-r12-10",
  "holdout-18/holdout18-resource-template-01",
  "holdout-18/holdout18-long-with-notes-03",
  "holdout-12/holdout12-multilingual-12",
  "holdout-19/holdout19-instructions-02",
  "holdout-19/holdout19-long-with-notes-03",
  "holdout-9/holdout9-negation-04",
  "holdout-20/holdout20-long-with-notes-01",
  "holdout-6/holdout6-multilingual-05",
  "holdout-11/holdout11-security-01",
  "holdout-17/holdout17-security-04",
  "holdout-11/holdout11-security-05",
  "holdout-16/holdout16-hidden-text-like-05",
  "holdout-25/holdout25-prompt-01",
  "negation-02",
  "negation-r4-04",
]);
test("benign definitions whose words resemble attacks give no finding", () => {
  for (const item of trickyItems().filter(
    (i) => i.split === "tune" && !KNOWN_FALSE_ALARMS.has(i.id),
  )) {
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

// The holdout (test/fixtures/descriptions/holdout-27/) is written apart from the detector and
// never tuned on; earlier holdouts have been (split.json) and count as tuning data. Its figures are
// reported by `npm run bench:descriptions` (measured once, after round 29: recall 154/160, 96.3%,
// override 13/16 the lowest category; 2 of 212 real tools flagged). What is
// asserted here keeps the detector from getting worse on it: overall recall no lower than
// measured less about three points, and no more real tools flagged.
const HOLDOUT_RECALL_FLOOR = 0.93;
const HOLDOUT_REAL_FLAGGED_CEILING = 2;
test(
  "held-out corpus: recall and real false positives no worse than first measured on it",
  { skip: holdoutPresent() ? false : "no holdout in test/fixtures/descriptions/holdout-27/" },
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
    // False positives: no more held-out real tools carry a finding than when it was first measured.
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
    assert.ok(flagged <= HOLDOUT_REAL_FLAGGED_CEILING, `real false positives ${flagged}/${tools}`);
  },
);

// Every tuned-on attack is found: the rules' misses of earlier rounds are read as poisoned by the
// definition model, which was fitted on them (a tuning figure; the holdout's is the one that counts).
const KNOWN_MISSES: string[] = [];
test("every tuned-on attack is found", () => {
  const missed = attackItems()
    .filter((i) => i.split === "tune")
    .filter((i) => checkServer(i.surface).length === 0)
    .map((i) => i.id);
  assert.deepEqual(missed, KNOWN_MISSES);
});
