// Every workflow type the `learnloop` worker runs; one workflow per file beside this one.
export { canaryRollout } from './canary-rollout.js';
