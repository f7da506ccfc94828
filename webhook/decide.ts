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
  type ImageLookup,
} from "./admission.ts";
import type { StateSource } from "./state.ts";
import {
  lookupDeadlineMs,
  type EvidenceProvider,
  type RequestCredentials,
} from "../supply-chain/verify/evidence.ts";

export class DeadlineExceeded extends errorClass<"DEADLINE_EXCEEDED">("DeadlineExceeded") {}

/** Resolves to `work`, or rejects with DeadlineExceeded when `ms` passes first. */
export async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DeadlineExceeded("DEADLINE_EXCEEDED", `no decision within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

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
  credentialsFor?: CredentialsFor | undefined;
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
    };

/** Decides one AdmissionReview body. Never throws: failures deny as `admission/error`. */
export async function admit(body: unknown, ctx: AdmitContext): Promise<Admission> {
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
  const answer = (outcome: AdmissionOutcome, failure?: { err: unknown }): Admission => ({
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
  const prepared = admissionSubject(request, snapshot.policy, snapshot.policyError);
  if ("outcome" in prepared) return answer(prepared.outcome);
  const { subject } = prepared;
  // Registry lookups end first, so a slow registry denies through image/*.
  const lookups = lookupDeadline(lookupDeadlineMs(ctx.deadlineMs));
  const deadline = lookups.signal;
  try {
    const outcome = await withDeadline(
      (async () => {
        const lookup = registryLookup(subject);
        const evidence =
          lookup && ctx.evidence
            ? await ctx.evidence(
                lookup.images,
                subject.policy,
                deadline,
                await ctx.credentialsFor?.(lookup, deadline),
              )
            : undefined;
        return judgeSubject(subject, { cluster: snapshot.cluster, now: at, evidence });
      })(),
      ctx.deadlineMs,
    );
    return answer(outcome);
  } catch (err) {
    const reason = err instanceof DeadlineExceeded ? err.message : "internal error";
    return answer(errorOutcome(subject.policy, reason), { err });
  } finally {
    lookups.clear();
  }
}

/**
 * What `AbortSignal.timeout` gives (a signal aborted with a TimeoutError), with a timer that is
 * cleared once the decision is made. A timeout signal always fires in the end, and an abort event
 * with its DOMException for every request cost the warm path more than the cached lookups did.
 */
function lookupDeadline(ms: number): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException(`no lookup result within ${ms} ms`, "TimeoutError")),
    ms,
  );
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}
