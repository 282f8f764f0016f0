import * as ort from 'onnxruntime-node';
import type { ContextDocument } from './context-document.js';
import type { Logger } from '../log.js';
import { applyContext } from './context-input.js';
import type { SentenceEmbedder } from './embedder.js';
import type { ModelRegistry } from './registry.js';
import type { Prediction, PredictionInput, Predictor } from './predictor.js';
import { HEAD_INPUT, HEAD_OUTPUT, onnxLabels } from '../training/onnx-head.js';
import { defined } from '../platform/defined.js';

interface LoadedVersion {
  session: ort.InferenceSession;
  labels: string[];
  dimension: number;
}

/** Serves registered versions: the shared sentence encoder, then the version's ONNX head (sha256-checked on load). */
export class ModelServer implements Predictor {
  private readonly loaded = new Map<string, Promise<LoadedVersion>>();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly embedder: SentenceEmbedder,
    private readonly logger?: Logger,
  ) {}

  async warm(modelId: string, version: string): Promise<void> {
    await this.load(modelId, version);
  }

  async predict(modelId: string, version: string, input: PredictionInput, context?: ContextDocument): Promise<Prediction> {
    const model = await this.load(modelId, version);
    const [embedding] = await this.embedder.embed([applyContext(input.text, context)]);
    const feeds = { [HEAD_INPUT]: new ort.Tensor('float32', defined(embedding, 'embedding'), [1, model.dimension]) };
    const out = await model.session.run(feeds);
    const probabilities = Array.from(defined(out[HEAD_OUTPUT], `head output ${HEAD_OUTPUT}`).data as Float32Array);
    let best = 0;
    let bestProbability = defined(probabilities[0], 'first class probability');
    for (const [i, p] of probabilities.entries()) {
      if (p > bestProbability) {
        best = i;
        bestProbability = p;
      }
    }
    return { label: defined(model.labels[best], `label ${best}`), confidence: bestProbability, probabilities };
  }

  async close(): Promise<void> {
    const sessions = await Promise.allSettled(this.loaded.values());
    this.loaded.clear();
    for (const s of sessions) if (s.status === 'fulfilled') await s.value.session.release();
  }

  private load(modelId: string, version: string): Promise<LoadedVersion> {
    const key = `${modelId}@${version}`;
    let loading = this.loaded.get(key);
    if (!loading) {
      loading = (async () => {
        const bytes = await this.registry.loadArtifact(modelId, version);
        const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
        this.logger?.info({ modelId, version }, 'model version loaded');
        return { session, labels: onnxLabels(bytes), dimension: this.embedder.dimension };
      })();
      // A failed load (corrupted artifact, missing file) is retried on the next request, not cached.
      loading.catch(() => this.loaded.delete(key));
      this.loaded.set(key, loading);
    }
    return loading;
  }
}
