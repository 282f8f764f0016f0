import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';
import { ReportError, reportIssue } from './report-error.js';

/** What a JUnit report says about one run of a test suite. */
export interface TestReport {
  tests: number;
  passed: number;
  failed: number;
  skipped: number;
  failures: { suite: string; name: string; classname: string | null; message: string; type: string | null }[];
}

// Attributes keep the prefix @_: node's reporter puts a `failure` attribute and a <failure> element on one testcase.
const outcome = z.union([
  z.string(),
  z.looseObject({ '@_message': z.string().optional(), '@_type': z.string().optional(), '#text': z.string().optional() }),
]);

const testcaseSchema = z.looseObject({
  '@_name': z.string({ error: 'a testcase needs a name attribute' }),
  '@_classname': z.string().optional(),
  failure: z.array(outcome).optional(),
  error: z.array(outcome).optional(),
  skipped: z.array(outcome).optional(),
});

interface Suite {
  '@_name'?: string;
  testcase?: z.infer<typeof testcaseSchema>[];
  testsuite?: Suite[];
}
const suiteSchema: z.ZodType<Suite> = z.looseObject({
  '@_name': z.string().optional(),
  testcase: z.array(testcaseSchema).optional(),
  get testsuite() {
    return z.array(suiteSchema).optional();
  },
});

const suitesSchema = z.looseObject({ testsuite: z.array(suiteSchema).optional() });

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseAttributeValue: false,
  // Every container is read as a list, however many elements a report has.
  isArray: (tag) => tag === 'testsuite' || tag === 'testcase' || tag === 'failure' || tag === 'error' || tag === 'skipped',
  // Built-in and character references are decoded (numeric ones come with htmlEntities); a DTD is refused before parsing.
  processEntities: true,
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- its successor (entityDecoder) decodes differently; moving is its own change, tested against these reports
  htmlEntities: true,
});

const text = (o: z.infer<typeof outcome>): { message: string; type: string | null } =>
  typeof o === 'string'
    ? { message: o.trim(), type: null }
    : { message: (o['@_message'] ?? o['#text'] ?? '').trim(), type: o['@_type'] ?? null };

/** Parses a JUnit XML report (the dialect of Jenkins, surefire, pytest, node --test, jest-junit). */
export function parseJUnit(xml: string): TestReport {
  // JUnit reports carry no DTDs; refusing them keeps entity expansion from growing a hostile report in memory.
  if (/<!DOCTYPE/i.test(xml)) throw new ReportError('JUnit XML: DOCTYPE declarations are not accepted');
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the replacement is the separate fast-xml-validator package, not a dependency here
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new ReportError(`JUnit XML: line ${valid.err.line}, column ${valid.err.col}: ${valid.err.msg}`);
  const doc = parser.parse(xml) as Record<string, unknown>;
  let roots: Suite[];
  if ('testsuites' in doc) {
    // <testsuites/> with nothing inside parses as an empty string.
    const parsed = suitesSchema.safeParse(doc.testsuites === '' ? {} : doc.testsuites);
    if (!parsed.success) throw reportIssue('JUnit XML', parsed.error, ['testsuites']);
    roots = parsed.data.testsuite ?? [];
  } else if ('testsuite' in doc) {
    const parsed = z.array(suiteSchema).safeParse(doc.testsuite);
    if (!parsed.success) throw reportIssue('JUnit XML', parsed.error, ['testsuite']);
    roots = parsed.data;
  } else {
    throw new ReportError('JUnit XML: the root element must be <testsuites> or <testsuite>');
  }
  const report: TestReport = { tests: 0, passed: 0, failed: 0, skipped: 0, failures: [] };
  const visit = (suite: Suite, path: string) => {
    const name = [path, suite['@_name'] ?? ''].filter(Boolean).join(' › ');
    for (const tc of suite.testcase ?? []) {
      report.tests += 1;
      const [firstBad] = [...(tc.failure ?? []), ...(tc.error ?? [])];
      if (firstBad !== undefined) {
        report.failed += 1;
        report.failures.push({ suite: name, name: tc['@_name'], classname: tc['@_classname'] ?? null, ...text(firstBad) });
      } else if (tc.skipped) {
        report.skipped += 1;
      } else {
        report.passed += 1;
      }
    }
    for (const child of suite.testsuite ?? []) visit(child, name);
  };
  for (const suite of roots) visit(suite, '');
  if (report.tests === 0) throw new ReportError('JUnit XML: the report contains no <testcase> elements');
  return report;
}
