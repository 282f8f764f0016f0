import { contextDocumentSchema, contextFeatures, type ContextDocument } from '../models/context-document.js';
import { contextGradient, contextsToAdd, momentumUpdate, type ContextGradient } from './context-gradient.js';
import type { ExecutionFeedback } from './feedback.js';

export interface ContextUpdate {
  before: ContextDocument;
  after: ContextDocument;
  gradient: ContextGradient;
  addedConstraints: string[];
  /** Mean of the event's dimension gradients: 1 is a clean build, all tests passing, fast and finding-free. */
  score: number | null;
}

const mostProblems = 5;

function eventScore(g: ContextGradient): number | null {
  const values = Object.values(g.dimensions);
  return values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

/**
 * One learning step for the context that produced the code a CI event judged: gradient, momentum update, and a
 * constraint per dimension that fell below its line, built from the tools' own messages so the next run sees them.
 */
export function updateContext(current: ContextDocument, feedback: ExecutionFeedback, eventId: string): ContextUpdate {
  const before = contextDocumentSchema.parse(current);
  const gradient = contextGradient(feedback, contextFeatures(before));
  const learning = momentumUpdate(before.learning, gradient);
  const existing = new Set(before.constraints.map((c) => c.id));
  const added = contextsToAdd(gradient)
    .map((kind) => {
      const problems = feedback.problems
        .filter((p) => p.kind === kind)
        .slice(0, mostProblems)
        .map((p) => `- ${p.text}`);
      const lead = {
        compilation: 'The last build did not compile. Check that the code compiles before answering; it failed with:',
        tests: 'Tests failed on the last change. Make the code satisfy these tests:',
        security: 'Static analysis found security problems in the last change. Avoid these:',
      }[kind];
      return { id: `${kind}:${eventId}`.slice(0, 128), kind, text: [lead, ...problems].join('\n'), addedBy: eventId };
    })
    // A redelivered event must not add its constraint twice.
    .filter((c) => !existing.has(c.id));
  const after = contextDocumentSchema.parse({ ...before, constraints: [...before.constraints, ...added], learning });
  return { before, after, gradient, addedConstraints: added.map((c) => c.id), score: eventScore(gradient) };
}
