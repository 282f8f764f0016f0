// The workflows of A/B testing and execution feedback, bundled together for test workers (workflows/index.ts is the lead's).
export { abTest } from '../../workflows/ab-test.js';
export { ciFeedback } from '../../workflows/ci-feedback.js';
