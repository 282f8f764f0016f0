// Every workflow type the `learnloop` worker runs; one workflow per file beside this one.
export { abTest } from './ab-test.js';
export { canaryRollout } from './canary-rollout.js';
export { checkDegradation } from './check-degradation.js';
export { checkNewData } from './check-new-data.js';
export { ciFeedback } from './ci-feedback.js';
export { learningCycle } from './learning-cycle.js';
export { retrainModel } from './retrain-model.js';
