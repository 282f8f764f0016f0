import type pg from 'pg';
import { insertContextVersion, lockContext } from '../db/contexts.js';
import { insertDebuggingSession, lockDebuggingSession, readDebuggingSession, type DebuggingSessionRow } from '../db/debugging-sessions.js';
import type { Pool } from '../db/pool.js';
import { withTransaction } from '../db/pool.js';
import { featureIdPart } from './ci-pipeline.js';
import { readContext, UnknownContextError } from './context-store.js';
import { recommendFix, type FixRecommendation, type FixReport, type FixType } from './debug-patterns.js';
import { errorSignature, type ErrorSignature } from './error-signature.js';
import { chargeRecurrence, learnFromFixWith, listPatternsWith } from './pattern-store.js';
import { parseStackTrace } from './stack-trace.js';

/**
 * Spec 002's ContextAwareDebugger.debug_with_context_learning, run where a debugging session happens (ciFeedback's
 * debugging step, for a CI event that came with a stack trace):
 *
 * - the trace comes with the fix that fixed it: the pattern learner learns from the session (a new pattern, or one
 *   more case for the pattern of that signature and fix);
 * - the trace comes from a failed run without a fix: every fix applied for that signature is charged a recurrence
 *   (it did not prevent this), then the learned patterns are asked for a fix; one above 0.7 confidence is
 *   recommended and its preventive guidance is added to the context as a constraint (the spec's
 *   `generate_preventive_context`); without one the session is recorded as needing manual investigation.
 *
 * One transaction per session, keyed by its id: a retried step does nothing twice.
 */
export interface DebuggingSessionInput {
  sessionId: string;
  /** The context that wrote the failing code; where a recommended fix's guidance goes. */
  contextId?: string;
  trace: string;
  fix?: FixReport;
}

export interface DebuggingStep {
  step: 'error_analysis' | 'fix_application' | 'pattern_match' | 'manual_investigation';
  result: string;
}

export interface DebuggingSession {
  sessionId: string;
  contextId: string | null;
  signature: ErrorSignature;
  outcome: 'learned' | 'recommended' | 'no_pattern';
  fixType: FixType | null;
  confidence: number | null;
  /** Applied fixes of this signature charged a recurrence by this session. */
  recurrences: number;
  /** The context version holding the recommended fix's guidance, if one was written. */
  contextVersion: number | null;
  steps: DebuggingStep[];
}

/** The spec's preventive context for its three fix types; the others carry the change their pattern recorded. */
const preventive: Partial<Record<FixType, string>> = {
  'null-check': 'Always validate inputs for null/None before use, e.g. if value is None: raise ValueError("Value required").',
  'bounds-check': 'Validate array/list indices before access, e.g. if 0 <= index < len(array): ...',
  'type-fix': 'Validate input types explicitly, e.g. if not isinstance(value, expected_type): raise TypeError(...).',
};

export function preventiveGuidance(rec: FixRecommendation): string {
  const s = rec.pattern.signature;
  const change = rec.pattern.contextChange;
  const guidance =
    preventive[rec.pattern.fixType] ??
    (typeof change.constraint === 'string'
      ? change.constraint
      : `Apply what fixed it before (${rec.pattern.fixType}): ${JSON.stringify(change)}.`);
  return `${s.type} at ${s.location} (${s.symptoms[0] ?? ''}) was fixed by ${rec.pattern.fixType} in ${rec.supportingCases.length} case(s). ${guidance}`.slice(
    0,
    5_000,
  );
}

// The row was written by runDebuggingSession from a session of these types.
const toSession = (r: DebuggingSessionRow): DebuggingSession => ({
  sessionId: r.session_id,
  contextId: r.context_id,
  signature: r.signature as ErrorSignature,
  outcome: r.outcome,
  fixType: r.fix_type as FixType | null,
  confidence: r.confidence,
  recurrences: r.recurrences,
  contextVersion: r.context_version,
  steps: r.steps as DebuggingStep[],
});

async function addGuidance(c: pg.ClientBase, contextId: string, sessionId: string, text: string): Promise<number | null> {
  await lockContext(c, contextId);
  let current;
  try {
    current = await readContext(c, contextId);
  } catch (err) {
    if (err instanceof UnknownContextError) return null;
    throw err;
  }
  const id = `debug:${featureIdPart(sessionId)}`.slice(0, 128);
  if (current.document.constraints.some((k) => k.id === id) || current.document.constraints.length >= 200) return null;
  const document = {
    ...current.document,
    constraints: [...current.document.constraints, { id, kind: 'general' as const, text, addedBy: sessionId }],
  };
  await insertContextVersion(c, contextId, current.version + 1, document, `debugging ${sessionId}`);
  return current.version + 1;
}

export async function runDebuggingSession(
  pool: Pool,
  input: DebuggingSessionInput,
): Promise<{ session: DebuggingSession; alreadyRun: boolean }> {
  const signature = errorSignature(parseStackTrace(input.trace));
  return withTransaction(pool, async (c) => {
    await lockDebuggingSession(c, input.sessionId);
    const stored = await readDebuggingSession(c, input.sessionId);
    if (stored) return { session: toSession(stored), alreadyRun: true };

    const steps: DebuggingStep[] = [
      { step: 'error_analysis', result: `${signature.type} at ${signature.location}: ${signature.symptoms.join('; ')}` },
    ];
    let session: DebuggingSession;
    if (input.fix) {
      const pattern = await learnFromFixWith(c, signature, input.fix);
      steps.push({
        step: 'fix_application',
        result: `${input.fix.fixType} (case ${input.fix.caseId}); the pattern has ${pattern.cases.length} case(s)`,
      });
      session = {
        sessionId: input.sessionId,
        contextId: input.contextId ?? null,
        signature,
        outcome: 'learned',
        fixType: input.fix.fixType,
        confidence: null,
        recurrences: 0,
        contextVersion: null,
        steps,
      };
    } else {
      const charged = await chargeRecurrence(c, signature);
      const rec = recommendFix(await listPatternsWith(c, { language: signature.language, type: signature.type }), signature);
      if (rec) {
        steps.push({
          step: 'pattern_match',
          result: `found ${rec.supportingCases.length} similar case(s); recommended ${rec.pattern.fixType} at confidence ${rec.confidence.toFixed(2)}`,
        });
        const contextVersion = input.contextId ? await addGuidance(c, input.contextId, input.sessionId, preventiveGuidance(rec)) : null;
        session = {
          sessionId: input.sessionId,
          contextId: input.contextId ?? null,
          signature,
          outcome: 'recommended',
          fixType: rec.pattern.fixType,
          confidence: rec.confidence,
          recurrences: charged.length,
          contextVersion,
          steps,
        };
      } else {
        steps.push({ step: 'manual_investigation', result: 'no matching pattern found' });
        session = {
          sessionId: input.sessionId,
          contextId: input.contextId ?? null,
          signature,
          outcome: 'no_pattern',
          fixType: null,
          confidence: null,
          recurrences: charged.length,
          contextVersion: null,
          steps,
        };
      }
    }
    await insertDebuggingSession(c, {
      session_id: session.sessionId,
      context_id: session.contextId,
      signature,
      outcome: session.outcome,
      fix_type: session.fixType,
      confidence: session.confidence,
      recurrences: session.recurrences,
      context_version: session.contextVersion,
      steps: session.steps,
    });
    return { session, alreadyRun: false };
  });
}
