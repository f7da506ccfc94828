/**
 * Kubernetes resource quantities (`resource.Quantity`), read as the API server reads them: a
 * signed decimal number with an optional binary (`Ki`…`Ei`) or decimal (`n`…`E`) suffix or an
 * exponent. Only what the rules need: is the value a quantity at all, and is it zero or negative.
 * `0m`, `0Mi`, `0.0`, `0e3` and `-0` are all zero: no limit at all.
 */
const QUANTITY =
  /^(?<sign>[+-]?)(?<number>\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;

export type QuantitySign = "positive" | "zero" | "negative";

/** The sign of a quantity, or `undefined` when the API server would not accept it as one. */
export function quantitySign(value: unknown): QuantitySign | undefined {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return undefined;
    return value > 0 ? "positive" : value === 0 ? "zero" : "negative";
  }
  if (typeof value !== "string") return undefined;
  const match = QUANTITY.exec(value);
  if (match?.groups === undefined) return undefined;
  const digits = match.groups.number!.replace(".", "");
  if (/^0*$/.test(digits)) return "zero";
  return match.groups.sign === "-" ? "negative" : "positive";
}
