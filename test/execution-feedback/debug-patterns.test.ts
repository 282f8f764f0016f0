import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  learnPattern,
  recommendFix,
  recordRecurrence,
  type DebugPattern,
  type FixReport,
} from '../../src/execution-feedback/debug-patterns.js';
import { errorSignature, generaliseMessage } from '../../src/execution-feedback/error-signature.js';
import { parseStackTrace } from '../../src/execution-feedback/stack-trace.js';

// Real traces from running sources/failing.{mjs,ts,py} and Failing.java with arguments 7 and 42 (generate.sh).
const trace = (name: string) => readFileSync(new URL(`../fixtures/execution-feedback/${name}`, import.meta.url), 'utf8');
const signatureOf = (name: string) => errorSignature(parseStackTrace(trace(name)));

const languages = [
  {
    lang: 'javascript',
    file: 'node',
    type: 'TypeError',
    location: 'failing.mjs:shippingLabel',
    symptom: 'null-access',
    fixType: 'null-check',
  },
  {
    lang: 'python',
    file: 'python',
    type: 'KeyError',
    location: 'failing.py:find_order',
    symptom: 'missing-key',
    fixType: 'input-validation',
  },
  {
    lang: 'java',
    file: 'java',
    type: 'java.lang.IndexOutOfBoundsException',
    location: 'Failing.findOrder',
    symptom: 'index-out-of-range',
    fixType: 'bounds-check',
  },
] as const;

for (const l of languages) {
  test(`${l.lang} trace round trip: parsed, signed, learned from a fix, recommended for the same bug with other values`, () => {
    const parsed = parseStackTrace(trace(`trace-${l.file}-7.txt`));
    assert.equal(parsed.language, l.lang);
    assert.equal(parsed.type, l.type);
    assert.ok(parsed.frames.length >= 3);
    const first = errorSignature(parsed);
    assert.equal(first.location, l.location);
    assert.ok(first.symptoms.includes(l.symptom), first.symptoms.join(', '));
    const again = signatureOf(`trace-${l.file}-42.txt`);
    assert.equal(again.hash, first.hash, 'the same bug with another id has the same signature');

    const fix: FixReport = {
      caseId: `${l.file}-7`,
      fixType: l.fixType,
      contextChange: { constraint: 'check the lookup result before use' },
    };
    const pattern = learnPattern(undefined, first, fix);
    const rec = recommendFix([pattern], again);
    assert.ok(rec, 'a pattern learned from one exactly matching case is recommended');
    assert.equal(rec.pattern.fixType, l.fixType);
    assert.deepEqual(rec.supportingCases, [`${l.file}-7`]);
    assert.ok(rec.confidence > 0.7);
    assert.equal(rec.effectiveness, 2 / 3);
    assert.equal(rec.score, rec.confidence * rec.effectiveness);

    const recurred = recordRecurrence(pattern);
    assert.equal(recommendFix([recurred], again)!.effectiveness, 1 / 3, 'the error came back after the fix');
  });
}

test('a TypeScript trace run through tsx parses like node’s, at the .ts source location', () => {
  const sig = signatureOf('trace-typescript-7.txt');
  assert.equal(sig.type, 'TypeError');
  assert.equal(sig.location, 'failing.ts:shippingLabel');
  assert.equal(sig.symptoms[0], generaliseMessage("Cannot read properties of undefined (reading 'customer')"));
});

test('no recommendation for a different error type, nor for a near match learned from a single case', () => {
  const python = signatureOf('trace-python-7.txt');
  const pattern = learnPattern(undefined, python, { caseId: 'p-1', fixType: 'input-validation', contextChange: {} });
  const otherType = errorSignature(
    parseStackTrace(trace('trace-python-7.txt').replace("KeyError: '7'", 'IndexError: list index out of range')),
  );
  assert.equal(recommendFix([pattern], otherType), null);
  const otherMessage = errorSignature(parseStackTrace(trace('trace-python-7.txt').replace("KeyError: '7'", 'KeyError: shelf missing')));
  assert.notEqual(otherMessage.hash, python.hash);
  assert.equal(recommendFix([pattern], otherMessage), null, 'similarity 0.8 × 1/1.3 is below 0.7');
  const threeCases = ['p-2', 'p-3'].reduce(
    (p, caseId) => learnPattern(p, python, { caseId, fixType: 'input-validation', contextChange: {} }),
    pattern,
  );
  assert.deepEqual(recommendFix([threeCases], otherMessage)?.supportingCases, ['p-1', 'p-2', 'p-3']);
  assert.equal(
    learnPattern(threeCases, python, { caseId: 'p-2', fixType: 'input-validation', contextChange: {} }),
    threeCases,
    'a repeated case is not counted twice',
  );
});

test('of two fixes for one signature, the one that held is recommended', () => {
  const java = signatureOf('trace-java-7.txt');
  let bounds: DebugPattern = learnPattern(undefined, java, { caseId: 'j-1', fixType: 'bounds-check', contextChange: {} });
  bounds = learnPattern(bounds, java, { caseId: 'j-2', fixType: 'bounds-check', contextChange: {} });
  bounds = recordRecurrence(recordRecurrence(bounds));
  const logic = learnPattern(undefined, java, { caseId: 'j-3', fixType: 'logic-fix', contextChange: {} });
  const rec = recommendFix([bounds, logic], signatureOf('trace-java-42.txt'))!;
  // bounds: confidence 2/2.3 = 0.87 × effectiveness 1/4; logic: 0.77 × 2/3.
  assert.equal(rec.pattern.fixType, 'logic-fix');
});

test('chained errors are signed by where the fault is: Java’s root cause, Python’s last traceback', () => {
  const java = signatureOf('trace-java-chained.txt');
  assert.deepEqual([java.type, java.location], ['java.lang.NumberFormatException', 'Chained.parsePort']);
  assert.equal(java.symptoms[0], 'For input string: <str>');
  const python = signatureOf('trace-python-chained.txt');
  assert.deepEqual([python.type, python.location], ['NameError', 'chained.py:fallback_settings']);
  assert.ok(python.symptoms.includes('undefined-name'));
});
