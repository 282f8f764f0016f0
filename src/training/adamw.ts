import * as tf from '@tensorflow/tfjs';
import { defined } from '../platform/defined.js';

/**
 * AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019,
 * Algorithm 2; the update torch.optim.AdamW and Hugging Face's Trainer apply). tfjs ships Adam only, and Adam's L2
 * penalty added to the gradient is not the same thing: it is rescaled by the adaptive denominator, so parameters
 * with large gradients are barely regularised. Here the decay shrinks the parameter directly, `θ ← θ − lr·λ·θ`,
 * before the Adam step. Written with tf ops (not over tf.train.adam) so the moments are plain tensors that a
 * checkpoint can save and restore exactly.
 */
export interface AdamWSettings {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

/** torch.optim.AdamW's defaults, with the specs' weight decay. */
export const adamWDefaults: AdamWSettings = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 };

export interface AdamWParameter {
  variable: tf.Variable;
  /** Hugging Face's Trainer decays weight matrices but not biases (nor norms); a head's biases set `decay: false`. */
  decay: boolean;
}

/** What a checkpoint needs to continue exactly where the optimizer stopped. */
export interface AdamWState {
  /** Optimizer steps taken (t in the paper; the bias corrections depend on it). */
  step: number;
  firstMoments: Float32Array[];
  secondMoments: Float32Array[];
}

export class AdamW {
  private step = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(
    private readonly parameters: readonly AdamWParameter[],
    private readonly settings: AdamWSettings = adamWDefaults,
  ) {
    const zeros = () => parameters.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p.variable), false)));
    this.m = zeros();
    this.v = zeros();
  }

  get steps(): number {
    return this.step;
  }

  /** One update with `gradients` (one per parameter, in order) at learning rate `lr`. */
  apply(gradients: readonly tf.Tensor[], lr: number): void {
    if (gradients.length !== this.parameters.length)
      throw new Error(`${gradients.length} gradients for ${this.parameters.length} parameters`);
    this.step++;
    const { beta1, beta2, epsilon, weightDecay } = this.settings;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    tf.tidy(() => {
      this.parameters.forEach(({ variable, decay }, i) => {
        const g = defined(gradients[i], `gradient ${i}`);
        const m = defined(this.m[i], `first moment ${i}`);
        const v = defined(this.v[i], `second moment ${i}`);
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const decayed = decay && weightDecay > 0 ? tf.mul(variable, 1 - lr * weightDecay) : variable;
        const mHat = tf.div(m, correction1);
        const vHat = tf.div(v, correction2);
        variable.assign(tf.sub(decayed, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon)), lr)));
      });
    });
  }

  async state(): Promise<AdamWState> {
    const read = (vs: tf.Variable[]) => Promise.all(vs.map(async (t) => Float32Array.from(await t.data())));
    return { step: this.step, firstMoments: await read(this.m), secondMoments: await read(this.v) };
  }

  restore(state: AdamWState): void {
    const put = (vs: tf.Variable[], values: Float32Array[], what: string) => {
      vs.forEach((t, i) => {
        const value = values[i];
        if (!value || value.length !== t.size)
          throw new Error(`optimizer state: ${what} ${i} has ${String(value?.length)} values, expected ${t.size}`);
        tf.tidy(() => {
          t.assign(tf.tensor(value, t.shape));
        });
      });
    };
    if (state.firstMoments.length !== this.m.length || state.secondMoments.length !== this.v.length) {
      throw new Error(`optimizer state is for ${state.firstMoments.length} parameters, this model has ${this.m.length}`);
    }
    put(this.m, state.firstMoments, 'first moment');
    put(this.v, state.secondMoments, 'second moment');
    this.step = state.step;
  }

  dispose(): void {
    [...this.m, ...this.v].forEach((t) => {
      t.dispose();
    });
  }
}

/**
 * Scales gradients so their global L2 norm is at most `maxNorm` (tf.clip_by_global_norm; torch's
 * clip_grad_norm_): every gradient by the same factor, so the update keeps its direction. Returns the norm before
 * clipping, as trainers report it.
 */
export function clipByGlobalNorm(gradients: readonly tf.Tensor[], maxNorm: number): { clipped: tf.Tensor[]; norm: number } {
  const norm = defined(
    tf.tidy(() => tf.sqrt(tf.addN(gradients.map((g) => tf.sum(tf.square(g))))).dataSync()[0]),
    'the global gradient norm',
  );
  const scale = norm > maxNorm ? maxNorm / norm : 1;
  return { clipped: gradients.map((g) => (scale === 1 ? tf.clone(g) : tf.mul(g, scale))), norm };
}

export interface LinearSchedule {
  /** The peak learning rate, reached at the end of the warm-up. */
  learningRate: number;
  warmupSteps: number;
  /** The run's optimizer steps: the rate reaches 0 here. */
  totalSteps: number;
}

/**
 * The specs' schedule (configure_online_learning: `get_linear_schedule_with_warmup(optimizer, num_warmup_steps=10,
 * num_training_steps=…)`), as Hugging Face transformers defines it: the learning rate of the optimizer step that
 * `step` steps precede (0-based, the scheduler's count) rises linearly from 0 over the warm-up, then falls linearly
 * to 0 at `totalSteps`:
 *   lr · step / max(1, warmupSteps)                              while step < warmupSteps
 *   lr · max(0, (totalSteps − step) / max(1, totalSteps − warmupSteps))   after
 * So the first step of a warm-up runs at 0 and the last step (totalSteps − 1) at lr / (totalSteps − warmupSteps).
 */
export function linearScheduleWithWarmup(step: number, { learningRate, warmupSteps, totalSteps }: LinearSchedule): number {
  if (step < warmupSteps) return (learningRate * step) / Math.max(1, warmupSteps);
  return learningRate * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
}
