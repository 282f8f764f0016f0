import type { SelectedExample } from './select-examples.js';

/** One example as fineTune takes it: the request, the output to learn and its sample weight. */
export interface LabelledExample {
  requestId: string;
  text: string;
  label: string;
  weight: number;
}

/**
 * Selected production examples as training examples: the served label is the target and the specs' quality score
 * (pass rate − 0.5 × variance) the sample weight, so the cleanest passes count most. Pure, so a workflow may call it.
 */
export function labelledExamples(selected: readonly SelectedExample[]): LabelledExample[] {
  return selected.map((s) => {
    const label = (s.output as { label?: unknown } | null)?.label;
    if (typeof label !== 'string' || label === '') throw new Error(`request ${s.requestId}: its output has no label to learn`);
    return { requestId: s.requestId, text: s.text, label, weight: s.qualityScore };
  });
}
