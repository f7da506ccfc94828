import { readFileSync } from "node:fs";
import { parsePredicate, type EvaluationPredicate } from "../../policies/evaluation/predicate.ts";

/** A fresh copy of `test/fixtures/evaluation/valid-predicate.json`, validated against the schema. */
export function validPredicate(): EvaluationPredicate {
  return parsePredicate(
    JSON.parse(
      readFileSync(new URL("../fixtures/evaluation/valid-predicate.json", import.meta.url), "utf8"),
    ),
  );
}
