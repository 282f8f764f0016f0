import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ciEnvelopeSchema, feedbackFromEnvelope, feedbackFromFindings, feedbackFromTests } from '../../src/execution-feedback/feedback.js';
import { parseJUnit } from '../../src/execution-feedback/junit.js';
import { ReportError } from '../../src/execution-feedback/report-error.js';
import { parseSarif } from '../../src/execution-feedback/sarif.js';

// Real tools' output, made by test/fixtures/execution-feedback/generate.sh from the programs in sources/.
const fixture = (name: string) => readFileSync(new URL(`../fixtures/execution-feedback/${name}`, import.meta.url), 'utf8');

test('JUnit from node --test: counts passes, failures and skips, and keeps the failure messages', () => {
  const report = parseJUnit(fixture('junit-node.xml'));
  assert.deepEqual(
    { tests: report.tests, passed: report.passed, failed: report.failed, skipped: report.skipped },
    { tests: 4, passed: 1, failed: 2, skipped: 1 },
  );
  assert.deepEqual(
    report.failures.map((f) => [f.suite, f.name]),
    [
      ['cart', 'applies the discount'],
      ['cart', 'reads the coupon'],
    ],
  );
  assert.match(report.failures[1]!.message, /Cannot read properties of undefined \(reading 'code'\)/);
  assert.deepEqual(feedbackFromTests(report).tests, { run: 3, passed: 1 });
});

test('JUnit from pytest --junitxml: same counts, entities decoded in messages', () => {
  const report = parseJUnit(fixture('junit-pytest.xml'));
  assert.deepEqual(
    { tests: report.tests, passed: report.passed, failed: report.failed, skipped: report.skipped },
    { tests: 4, passed: 1, failed: 2, skipped: 1 },
  );
  assert.equal(report.failures[1]!.classname, 'test_inventory');
  assert.equal(report.failures[1]!.message, "KeyError: 'shelf'");
  assert.match(report.failures[0]!.message, /assert \(1 - 2\) >= 0/);
});

test('malformed JUnit XML is refused naming the line and the problem', () => {
  const broken = fixture('junit-pytest.xml').replace(
    '</testcase><testcase classname="test_inventory" name="test_reads_location"',
    '<testcase classname="test_inventory" name="test_reads_location"',
  );
  assert.throws(
    () => parseJUnit(broken),
    (err: Error) => err instanceof ReportError && /^JUnit XML: line 12, column \d+: Expected closing tag 'testcase'/.test(err.message),
  );
  assert.throws(() => parseJUnit('<!DOCTYPE t [<!ENTITY a "aaaa">]><testsuite/>'), /DOCTYPE declarations are not accepted/);
  assert.throws(() => parseJUnit('<html><body/></html>'), /JUnit XML: .*root element must be <testsuites> or <testsuite>/);
  assert.throws(
    () => parseJUnit('<testsuite><testcase classname="x"/></testsuite>'),
    /JUnit XML: testsuite\.0\.testcase\.0\.@_name: a testcase needs a name attribute/,
  );
  assert.throws(() => parseJUnit('<testsuites><testsuite name="empty"/></testsuites>'), /no <testcase> elements/);
});

test('SARIF from eslint: every result becomes a finding with rule, level and location', () => {
  const findings = parseSarif(fixture('eslint.sarif'));
  assert.deepEqual(
    findings.map((f) => f.ruleId),
    ['no-unused-vars', 'no-cond-assign', 'no-constant-condition', 'no-undef'],
  );
  assert.ok(findings.every((f) => f.tool === 'ESLint' && f.level === 'error' && !f.security));
  assert.match(findings[3]!.location!, /lint-target\.js:9$/);
  const fb = feedbackFromFindings(findings);
  assert.deepEqual(fb.security, { count: 0, severity: 0 });
  assert.equal(fb.problems.filter((p) => p.kind === 'static-analysis').length, 4);
});

test('SARIF rules tagged security or scored feed the security dimension with their security-severity', () => {
  const log = JSON.parse(fixture('eslint.sarif'));
  log.runs[0].tool.driver.rules[3].properties = { tags: ['security'], 'security-severity': '8.1' };
  log.runs[0].tool.driver.rules[1].properties = { tags: ['security', 'correctness'] };
  const fb = feedbackFromFindings(parseSarif(log));
  assert.deepEqual(fb.security, { count: 2, severity: 8.1 });
});

test('malformed SARIF is refused naming the field', () => {
  assert.throws(() => parseSarif('{"version": "2.1.0", "runs": ['), /SARIF: not JSON: /);
  assert.throws(() => parseSarif({ version: '2.0.0', runs: [] }), /SARIF: version: only SARIF version 2.1.0 is accepted/);
  const log = JSON.parse(fixture('eslint.sarif'));
  delete log.runs[0].results[2].message;
  assert.throws(() => parseSarif(log), /SARIF: runs\.0\.results\.2\.message: /);
});

test('the JSON envelope: build errors and gate violations become problems; unknown fields are refused', () => {
  const env = ciEnvelopeSchema.parse({
    contextId: 'ctx-1',
    task: 'add a discount',
    build: { success: false, errors: ["src/cart.ts(3,5): error TS2304: Cannot find name 'fee'."] },
    qualityGates: { passed: false, violations: ['coverage below 80%', { rule: 'complexity', value: 31 }] },
    quality: { complexity: 31, duplication: 4 },
  });
  const fb = feedbackFromEnvelope(env);
  assert.deepEqual(fb.compilation, { success: false, errors: 1 });
  assert.deepEqual(
    fb.problems.map((p) => p.kind),
    ['compilation', 'quality', 'quality'],
  );
  assert.equal(fb.problems[2]!.text, 'complexity = 31');
  const bad = ciEnvelopeSchema.safeParse({
    contextId: 'c',
    task: 't',
    build: { success: true },
    qualityGates: { passed: true, violations: [] },
  });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error.issues[0]!.path, ['build', 'errors']);
});
