import type { Connection } from '@temporalio/client';
import { searchAttributeKeys } from './search-attributes.js';
import protos from '@temporalio/proto';

const { temporal } = protos;

const indexedValueTypes = {
  TEXT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
} as const;

/**
 * Registers learnloop's search attributes on a server learnloop did not start (TEMPORAL_ADDRESS, docker-compose);
 * only the missing ones, so it is safe on every start.
 */
/** All of learnloop's search attributes at once, for a server that cannot list them (the time-skipping test server). */
export async function addSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(searchAttributeKeys.map((k) => [k.name, indexedValueTypes[k.type]])),
  });
}

export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  let customAttributes: Record<string, unknown> | null | undefined;
  try {
    ({ customAttributes } = await connection.operatorService.listSearchAttributes({ namespace }));
  } catch (err) {
    // The time-skipping test server has no list call; whoever started it registers the attributes.
    if ((err as { code?: number }).code === 12 /* UNIMPLEMENTED */) return [];
    throw err;
  }
  const existing = new Set(Object.keys(customAttributes));
  const missing = searchAttributeKeys.filter((k) => !existing.has(k.name));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((k) => [k.name, indexedValueTypes[k.type]])),
  });
  return missing.map((k) => k.name);
}
