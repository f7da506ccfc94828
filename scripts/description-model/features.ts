// The training set of the definition model (policies/evaluation/description-safety/model.json):
// every definition of the description corpora (test/fixtures/descriptions/), one JSON line each,
// with its label (1 poisoned, 0 benign), the corpus it comes from, the kinds of problem the rules
// found in it, and its feature counts as the scorer counts them (model-features.ts).
//
//   node scripts/description-model/features.ts > features.jsonl
//
// Only the tuning split is written: the holdout is never trained on.
import { judgeServer } from "../../policies/evaluation/description-safety.ts";
import { featureCounts } from "../../policies/evaluation/description-safety/model-features.ts";
import {
  attackItems,
  realServers,
  trickyItems,
  type CorpusItem,
} from "../../test/support/description-corpus.ts";

const wanted = (split: string): boolean => split === "tune";
// The corpus an item comes from: a holdout's folder, or "base" for the files directly in descriptions/.
const group = (id: string): string => (id.includes("/") ? id.slice(0, id.indexOf("/")) : "base");

function line(
  id: string,
  split: string,
  kind: string,
  category: string,
  label: 0 | 1,
  read: string[],
  rules: string[],
): string {
  const { words, chars } = featureCounts(read);
  return JSON.stringify({
    id,
    group: group(id),
    split,
    kind,
    category,
    label,
    rules: [...new Set(rules)].sort(),
    words: Object.fromEntries(words),
    chars: Object.fromEntries(chars),
  });
}

const kinds = (d: ReturnType<typeof judgeServer>[number]): string[] =>
  d.fields.flatMap((f) => f.issues.map((i) => i.kind));

function item(it: CorpusItem, kind: string, label: 0 | 1): void {
  // A corpus item is one definition; its rule findings are the definition's.
  const judged = judgeServer(it.surface);
  process.stdout.write(
    `${line(
      it.id,
      it.split,
      kind,
      it.category,
      label,
      judged.flatMap((d) => d.read),
      judged.flatMap(kinds),
    )}\n`,
  );
}

for (const it of attackItems()) if (wanted(it.split)) item(it, "attack", 1);
for (const it of trickyItems()) if (wanted(it.split)) item(it, "tricky", 0);
for (const server of realServers()) {
  if (!wanted(server.split)) continue;
  // A real tool is read with its server's other tools, as the Action reads it.
  const judged = judgeServer(server.surface);
  server.surface.tools.forEach((tool, i) => {
    const d = judged[i];
    if (d === undefined) return;
    process.stdout.write(
      `${line(`${server.server}:${tool.name}`, server.split, "real", "real", 0, d.read, kinds(d))}\n`,
    );
  });
}
