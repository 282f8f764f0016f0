import { defineSearchAttributeKey, type SearchAttributeType } from '@temporalio/common';

/** Custom search attributes the workflows set; registered when learnloop starts a dev server. */
export const LearnloopModel = defineSearchAttributeKey('LearnloopModel', 'KEYWORD');
export const LearnloopCandidate = defineSearchAttributeKey('LearnloopCandidate', 'KEYWORD');
export const LearnloopStage = defineSearchAttributeKey('LearnloopStage', 'INT');
export const LearnloopState = defineSearchAttributeKey('LearnloopState', 'KEYWORD');
export const LearnloopCycle = defineSearchAttributeKey('LearnloopCycle', 'KEYWORD');
export const LearnloopPhase = defineSearchAttributeKey('LearnloopPhase', 'KEYWORD');
export const LearnloopTrigger = defineSearchAttributeKey('LearnloopTrigger', 'KEYWORD');

export const searchAttributeKeys = [
  LearnloopModel,
  LearnloopCandidate,
  LearnloopStage,
  LearnloopState,
  LearnloopCycle,
  LearnloopPhase,
  LearnloopTrigger,
];

const cliTypeNames: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** `--search-attribute Name=Type` arguments for `temporal server start-dev`. */
export function searchAttributeCliArgs(): string[] {
  return searchAttributeKeys.flatMap((k) => ['--search-attribute', `${k.name}=${cliTypeNames[k.type]}`]);
}
