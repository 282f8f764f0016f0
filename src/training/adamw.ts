import * as tf from '@tensorflow/tfjs';

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
    if (gradients.length !== this.parameters.length) throw new Error(`${gradients.length} gradients for ${this.parameters.length} parameters`);
    this.step++;
    const { beta1, beta2, epsilon, weightDecay } = this.settings;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    tf.tidy(() => {
      this.parameters.forEach(({ variable, decay }, i) => {
        const g = gradients[i]!;
        const m = this.m[i]!;
        const v = this.v[i]!;
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
    const put = (vs: tf.Variable[], values: Float32Array[], what: string) =>
      vs.forEach((t, i) => {
        const value = values[i];
        if (!value || value.length !== t.size) throw new Error(`optimizer state: ${what} ${i} has ${value?.length} values, expected ${t.size}`);
        tf.tidy(() => t.assign(tf.tensor(value, t.shape)));
      });
    if (state.firstMoments.length !== this.m.length || state.secondMoments.length !== this.v.length) {
      throw new Error(`optimizer state is for ${state.firstMoments.length} parameters, this model has ${this.m.length}`);
    }
    put(this.m, state.firstMoments, 'first moment');
    put(this.v, state.secondMoments, 'second moment');
    this.step = state.step;
  }

  dispose(): void {
    [...this.m, ...this.v].forEach((t) => t.dispose());
  }
}

/**
 * Scales gradients so their global L2 norm is at most `maxNorm` (tf.clip_by_global_norm; torch's
 * clip_grad_norm_): every gradient by the same factor, so the update keeps its direction. Returns the norm before
 * clipping, as trainers report it.
 */
export function clipByGlobalNorm(gradients: readonly tf.Tensor[], maxNorm: number): { clipped: tf.Tensor[]; norm: number } {
  const norm = tf.tidy(() => tf.sqrt(tf.addN(gradients.map((g) => tf.sum(tf.square(g))))).dataSync()[0]!);
  const scale = norm > maxNorm ? maxNorm / norm : 1;
  return { clipped: gradients.map((g) => (scale === 1 ? tf.clone(g) : tf.mul(g, scale))), norm };
}

/** Linear warm-up from lr/warmupSteps at step 1 to lr at step warmupSteps, then constant. */
export function warmupLearningRate(step: number, lr: number, warmupSteps: number): number {
  return warmupSteps > 0 && step < warmupSteps ? (lr * step) / warmupSteps : lr;
}
