/** Orchestration and light activities. */
export const TASK_QUEUE = 'learnloop';
/** Model training only, so a GPU host can serve just this queue. */
export const TRAINING_TASK_QUEUE = 'learnloop-training';
