import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root.js';

type History = proto.temporal.api.history.v1.IHistory;

/**
 * Temporal's JSON history format (what `temporal workflow show --output json` and the Web UI's download write), read
 * and written with the protobufjs that @temporalio/proto's types were built with. The SDK's own `historyToJSON` /
 * `historyFromJSON` (and `Worker.runReplayHistory` given JSON) import protobufjs from @temporalio/common, which npm
 * installed here as a second copy beside @temporalio/proto's: its `toJson`/`fromJson` then refuse the types of the
 * other copy ("type must be a Type"). Resolving protobufjs from @temporalio/proto's own location works with either
 * layout, hoisted or nested.
 */
interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

const requireFromProto = createRequire(createRequire(import.meta.url).resolve('@temporalio/proto'));
const protojson = requireFromProto('protobufjs/ext/protojson') as ProtoJson;
const root = patchProtobufRoot(proto as unknown as Record<string, unknown>) as unknown as { lookupType(name: string): unknown };
const historyType = root.lookupType('temporal.api.history.v1.History');

export function historyToJson(history: History): string {
  return JSON.stringify(protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history)), null, 2);
}

/** A history from its JSON; fields a newer server or SDK added are ignored, as the SDK's own reader does. */
export function historyFromJson(text: string): History {
  const loaded = protojson.fromJson(historyType, JSON.parse(text), { ignoreUnknownFields: true });
  if (!loaded) throw new TypeError('not a Temporal history');
  return loaded;
}

/** Writes a recorded history as a fixture (its folder made if missing); the number of events, for the recorder's line. */
export function writeHistoryFile(file: string, history: History): number {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${historyToJson(history)}\n`);
  return history.events?.length ?? 0;
}
