/**
 * One admission decision from a request body: read the review, build the workload once, look up
 * the registry when a rule needs it, judge, all within the deadline. The `/validate` route only
 * parses, calls `admit` and records.
 */
import { errorClass } from "../policies/errors.ts";
import {
  admissionSubject,
  errorOutcome,
  isBindingRequest,
  judgeBindingRequest,
  judgeSubject,
  readAdmissionReview,
  registryLookup,
  type AdmissionOutcome,
  type AdmissionRequest,
  type AdmissionSubject,
  type ImageLookup,
} from "./admission.ts";
import { ADMISSION_ERROR } from "../policies/workload/catalogue.ts";
import { Horizon } from "../policies/workload/horizon.ts";
import { DecisionCache } from "./decision-cache.ts";
import type { StateSnapshot, StateSource } from "./state.ts";
import {
  lookupDeadlineMs,
  type CachedEvidence,
  type CachedImageEvidence,
  type EvidenceProvider,
  type RequestCredentials,
} from "../supply-chain/verify/evidence.ts";

export class DeadlineExceeded extends errorClass<"DEADLINE_EXCEEDED">("DeadlineExceeded") {}

/** The pod's pull-secret credentials for the registry lookups of one request. */
export type CredentialsFor = (
  lookup: ImageLookup,
  signal: AbortSignal,
) => Promise<RequestCredentials | undefined>;

export interface AdmitContext {
  state: StateSource;
  now: () => Date;
  /** The whole decision, registry lookups included, comes within this. */
  deadlineMs: number;
  /** Registry facts for the rules that need them; without it those rules deny. */
  evidence?: EvidenceProvider | undefined;
  /** The same facts when all are cached, at once (the warm path; see `admit`). */
  cachedEvidence?: CachedEvidence | undefined;
  credentialsFor?: CredentialsFor | undefined;
  /**
   * Decisions to reuse for reviews equal but for their uid (needs the body's text). Not with
   * `credentialsFor`: a decision then also depends on Secrets read at request time.
   */
  decisions?: DecisionCache | undefined;
}

export type Admission =
  /** The body has no uid, so there is no review to answer: the route refuses it. */
  | { answered: false; reason: string }
  | {
      answered: true;
      uid: string;
      /** The request as read; undefined when the review was malformed. */
      request: AdmissionRequest | undefined;
      outcome: AdmissionOutcome;
      /** What failed during evaluation (the outcome is then `admission/error`), for the log. */
      failure?: { err: unknown };
      /** The outcome is a decision made earlier for the same review (see DecisionCache). */
      reused?: boolean;
    };

/**
 * Decides one AdmissionReview body; `text` is the body as received, for reusing decisions. Never
 * throws: failures deny as `admission/error`.
 */
export async function admit(body: unknown, ctx: AdmitContext, text?: string): Promise<Admission> {
  const review = readAdmissionReview(body);
  if (!review.ok && review.uid === undefined) return { answered: false, reason: review.message };
  const at = ctx.now();
  const snapshot = ctx.state.snapshot(at);
  if (!review.ok) {
    return {
      answered: true,
      uid: review.uid ?? "",
      request: undefined,
      outcome: errorOutcome(snapshot.policy, review.message),
    };
  }
  const request = review.request;
  const answer = (
    outcome: AdmissionOutcome,
    failure?: { err: unknown },
  ): Extract<Admission, { answered: true }> => ({
    answered: true,
    uid: request.uid,
    request,
    outcome,
    ...(failure ? { failure } : {}),
  });
  if (isBindingRequest(request)) {
    return answer(
      judgeBindingRequest(request, {
        policy: snapshot.policy,
        policyError: snapshot.policyError,
        cluster: snapshot.cluster,
        now: at,
        rbac: snapshot.rbac ?? [],
        judgedNamespaces: snapshot.judgedNamespaces ?? [],
      }),
    );
  }
  const decisions =
    ctx.decisions !== undefined && ctx.credentialsFor === undefined && text !== undefined
      ? reusable(ctx.decisions, text, request.uid, snapshot, at.getTime())
      : undefined;
  if (decisions?.outcome !== undefined) return { ...answer(decisions.outcome), reused: true };
  const prepared = admissionSubject(request, snapshot.policy, snapshot.policyError);
  if ("outcome" in prepared) return answer(prepared.outcome);
  const { subject } = prepared;
  const failed = (err: unknown, reason = "internal error") =>
    answer(errorOutcome(subject.policy, reason), { err });
  let path: ReturnType<typeof warmOrLookup>;
  try {
    path = warmOrLookup(subject, ctx);
  } catch (err) {
    return failed(err);
  }
  if ("warm" in path) {
    const horizon = new Horizon();
    const outcome = judgeSubject(subject, {
      cluster: snapshot.cluster,
      now: at,
      evidence: path.warm,
      horizon,
    });
    decisions?.keep(outcome, path.warm, horizon.until);
    return answer(outcome);
  }
  const { lookup, provide } = path;
  // Registry lookups end first, so a slow registry denies through image/*.
  const deadlines = decisionDeadlines(lookupDeadlineMs(ctx.deadlineMs), ctx.deadlineMs);
  const deadline = deadlines.lookups;
  try {
    const outcome = await Promise.race([
      (async () => {
        const credentials = await ctx.credentialsFor?.(lookup, deadline);
        const evidence = await provide(lookup.images, subject.policy, deadline, credentials);
        return judgeSubject(subject, { cluster: snapshot.cluster, now: at, evidence });
      })(),
      deadlines.decision,
    ]);
    return answer(outcome);
  } catch (err) {
    return failed(err, err instanceof DeadlineExceeded ? err.message : "internal error");
  } finally {
    deadlines.clear();
  }
}

/**
 * The reused decision for this review, if one holds; else how to keep the one about to be made.
 * Only decisions judged with a policy, on cluster state whose every part is available, are kept.
 */
function reusable(
  cache: DecisionCache,
  text: string,
  uid: string,
  snapshot: StateSnapshot,
  at: number,
):
  | {
      outcome?: AdmissionOutcome;
      keep: (o: AdmissionOutcome, e: CachedImageEvidence | undefined, until: number) => void;
    }
  | undefined {
  const { policy, cluster } = snapshot;
  const key = DecisionCache.keyOf(text, uid);
  if (key === undefined || policy === undefined || cluster.unavailable !== undefined)
    return undefined;
  return {
    outcome: cache.get(key, { policy, cluster }, at),
    keep: (outcome, evidence, until) => {
      if (outcome.evaluated && !outcome.rules.includes(ADMISSION_ERROR))
        cache.put(key, { policy, cluster, evidence }, outcome, at, until);
    },
  };
}

/**
 * The warm path, or the lookups to make. Warm: no registry rule to feed, or nothing to feed it
 * with (judged without facts, so those rules deny), or every image's facts cached and no pull
 * secret to read first. Judging is synchronous then and no deadline is armed: a timer, an abort
 * signal and a race cost the warm path more than its cached lookups.
 */
function warmOrLookup(
  subject: AdmissionSubject,
  ctx: AdmitContext,
): { warm: CachedImageEvidence | undefined } | { lookup: ImageLookup; provide: EvidenceProvider } {
  const lookup = registryLookup(subject);
  if (lookup === undefined || ctx.evidence === undefined) return { warm: undefined };
  const cached =
    ctx.credentialsFor === undefined
      ? ctx.cachedEvidence?.(lookup.images, subject.policy)
      : undefined;
  return cached === undefined ? { lookup, provide: ctx.evidence } : { warm: cached };
}

/**
 * The two deadlines of one decision from a single timer: at `lookupMs` the lookups' signal aborts
 * (with a TimeoutError, as `AbortSignal.timeout` would) and a second timer takes over until
 * `totalMs`, when `decision` rejects with DeadlineExceeded. A warm decision ends before the first
 * fires, so it arms one timer instead of two: timers and abort events cost the warm path more than
 * its cached lookups did.
 */
function decisionDeadlines(
  lookupMs: number,
  totalMs: number,
): { lookups: AbortSignal; decision: Promise<never>; clear: () => void } {
  const controller = new AbortController();
  let expire!: (err: DeadlineExceeded) => void;
  const decision = new Promise<never>((_, reject) => (expire = reject));
  let timer = setTimeout(() => {
    controller.abort(new DOMException(`no lookup result within ${lookupMs} ms`, "TimeoutError"));
    timer = setTimeout(
      () => expire(new DeadlineExceeded("DEADLINE_EXCEEDED", `no decision within ${totalMs} ms`)),
      Math.max(0, totalMs - lookupMs),
    );
  }, lookupMs);
  return { lookups: controller.signal, decision, clear: () => clearTimeout(timer) };
}
