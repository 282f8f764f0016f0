import type { ContextDocument } from './context-document.js';
import { sampleLabels } from './sampling.js';
import { onnxLabels } from '../training/onnx-head.js';
import type { Prediction, PredictionInput, Predictor } from './predictor.js';
import type { ModelRegistry } from './registry.js';
import { defined } from '../platform/defined.js';

/**
 * Serves a sampled output instead of the top one, as a generator served at a temperature does: the label is drawn
 * from the version's probabilities (see sampleLabels), so the same request asked twice may get two answers and a
 * weak model still sometimes produces a passing one. The served label and its probability are what the router
 * stores and the feedback checks. Labels come from the version's ONNX metadata, in the probabilities' order.
 */
export class SamplingPredictor implements Predictor {
  private readonly labels = new Map<string, Promise<string[]>>();

  constructor(
    private readonly inner: Predictor,
    private readonly registry: ModelRegistry,
    private readonly options: { temperature: number; rand?: () => number },
  ) {}

  async warm(modelId: string, version: string): Promise<void> {
    await Promise.all([this.inner.warm?.(modelId, version), this.labelsOf(modelId, version)]);
  }

  async predict(modelId: string, version: string, input: PredictionInput, context?: ContextDocument): Promise<Prediction> {
    const [top, labels] = await Promise.all([this.inner.predict(modelId, version, input, context), this.labelsOf(modelId, version)]);
    const [label] = sampleLabels({
      probabilities: top.probabilities,
      labels,
      temperature: this.options.temperature,
      count: 1,
      rand: this.options.rand ?? Math.random,
    });
    const sampled = defined(label, 'sampled label');
    return { ...top, label: sampled, confidence: defined(top.probabilities[labels.indexOf(sampled)], 'probability of the sampled label') };
  }

  private labelsOf(modelId: string, version: string): Promise<string[]> {
    const key = `${modelId}@${version}`;
    let loading = this.labels.get(key);
    if (!loading) {
      loading = this.registry.loadArtifact(modelId, version).then(onnxLabels);
      loading.catch(() => this.labels.delete(key));
      this.labels.set(key, loading);
    }
    return loading;
  }
}
