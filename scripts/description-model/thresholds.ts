// How CD-03's thresholds were chosen: each earlier holdout is read by a model fitted without it
// (`train.sh --models DIR` writes DIR/holdout-N.json), and the decision (`decideWith` in
// description-safety.ts) is taken with each setting of a small grid. Prints, per setting, the
// attacks found (overall and the weakest category), and the real tools and look-alikes flagged.
// The rules were tuned on these holdouts, so the figures favour them; the model's are honest.
//
//   scripts/description-model/train.sh --models /tmp/loo
//   node scripts/description-model/thresholds.ts /tmp/loo
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import {
  decideWith,
  judgeServer,
  listedToolsAt,
  type JudgedDefinition,
  type Weighing,
} from "../../policies/evaluation/description-safety.ts";
import {
  fittedModel,
  type FittedModel,
  type ModelReading,
} from "../../policies/evaluation/description-safety/model.ts";
import { attackItems, realServers, trickyItems } from "../../test/support/description-corpus.ts";

const dir = process.argv[2];
if (dir === undefined) {
  console.error("usage: thresholds.ts DIR (the models train.sh --models DIR wrote)");
  process.exit(2);
}

/** A model whose readings are kept: every setting reads the same stretches again. */
function remembering(model: FittedModel): FittedModel {
  const seen = new Map<string, ModelReading>();
  return {
    knownShare: model.knownShare,
    read: (texts) => {
      const key = texts.join("\u0000");
      let r = seen.get(key);
      if (r === undefined) seen.set(key, (r = model.read(texts)));
      return r;
    },
  };
}

interface Unit {
  kind: "attack" | "look-alike" | "real";
  category: string;
  model: FittedModel;
  definitions: JudgedDefinition[];
}
const units: Unit[] = [];
for (const file of readdirSync(dir).filter((f) => /^holdout-\d+\.json$/u.test(f))) {
  const group = file.replace(/\.json$/u, "");
  const model = remembering(fittedModel(JSON.parse(readFileSync(join(dir, file), "utf8"))));
  const mine = (id: string) => id.startsWith(`${group}/`);
  for (const i of attackItems().filter((i) => mine(i.id)))
    units.push({
      kind: "attack",
      category: i.category,
      model,
      definitions: judgeServer(i.surface),
    });
  for (const i of trickyItems().filter((i) => mine(i.id)))
    units.push({ kind: "look-alike", category: "", model, definitions: judgeServer(i.surface) });
  for (const s of realServers().filter((s) => mine(s.server)))
    for (const d of judgeServer(s.surface, listedToolsAt(s.server)))
      units.push({ kind: "real", category: "", model, definitions: [d] });
}

const settings: Omit<Weighing, "model">[] = [];
for (const knows of [0, 0.3, 0.5, 0.6])
  settings.push({ flags: 0.7, knows, stands: 0.2, local: 0.7, stretchWords: 30 });
for (const stretchWords of [30, 80])
  for (const local of [0.2, 0.5, 0.7, 0.9])
    for (const flags of [0.7, 0.8])
      settings.push({ flags, knows: 0, stands: 0.2, local, stretchWords });

for (const setting of settings) {
  const flagged = (u: Unit) =>
    u.definitions.some((d) => decideWith(d, { ...setting, model: u.model }).findings.length > 0);
  const count = (kind: Unit["kind"]) => {
    const all = units.filter((u) => u.kind === kind);
    return `${all.filter(flagged).length}/${all.length}`;
  };
  const byCategory = new Map<string, [number, number]>();
  for (const u of units.filter((u) => u.kind === "attack")) {
    const c = byCategory.get(u.category) ?? [0, 0];
    byCategory.set(u.category, [c[0] + (flagged(u) ? 1 : 0), c[1] + 1]);
  }
  const [worst, [found, of]] = [...byCategory].sort(
    (a, b) => a[1][0] / a[1][1] - b[1][0] / b[1][1],
  )[0] ?? ["", [0, 1]];
  console.log(
    `flags ${setting.flags} (knowing ${setting.knows}) local ${setting.local} over ${setting.stretchWords} words: attacks ${count("attack")} (weakest ${worst} ${found}/${of}), real tools ${count("real")}, look-alikes ${count("look-alike")}`,
  );
}
