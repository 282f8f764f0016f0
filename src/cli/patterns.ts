import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import {
  effectiveness,
  fixReportSchema,
  fixTypeSchema,
  minimumConfidence,
  recommendFix,
  type DebugPattern,
} from '../execution-feedback/debug-patterns.js';
import { errorSignature } from '../execution-feedback/error-signature.js';
import { learnFromFix, listPatterns, recordSignatureRecurrence } from '../execution-feedback/pattern-store.js';
import { parseStackTrace } from '../execution-feedback/stack-trace.js';
import { defined } from '../platform/defined.js';
import { withContext } from './context.js';

const describePattern = (p: DebugPattern) =>
  `${p.signature.hash.slice(0, 12)}  ${p.signature.language}  ${p.signature.type} at ${p.signature.location}  fix: ${p.fixType}  ` +
  `cases: ${p.cases.length}  applied ${p.applied}, recurred ${p.recurred}  effectiveness ${effectiveness(p).toFixed(2)}`;

async function signatureOfFile(file: string) {
  return errorSignature(parseStackTrace(await readFile(file, 'utf8')));
}

export function registerPatternCommands(program: Command): void {
  const patterns = program.command('patterns').description('debugging patterns learned from fixed errors');
  patterns
    .command('list')
    .description('learned patterns, newest first')
    .option('--language <language>', 'javascript, python or java')
    .option('--type <errorType>', 'error type, e.g. TypeError')
    .action((o: { language?: string; type?: string }) =>
      withContext(async ({ pool }) => {
        const all = await listPatterns(pool, o);
        console.log(all.length === 0 ? 'no patterns learned yet' : all.map(describePattern).join('\n'));
      }),
    );
  patterns
    .command('recommend <traceFile>')
    .description(`the best fix for the error in a stack trace file, if a pattern is more than ${minimumConfidence} confident`)
    .action((traceFile: string) =>
      withContext(async ({ pool }) => {
        const signature = await signatureOfFile(traceFile);
        const rec = recommendFix(await listPatterns(pool, { language: signature.language, type: signature.type }), signature);
        console.log(
          `error: ${signature.type} at ${signature.location} (${signature.symptoms.join('; ')}) signature ${signature.hash.slice(0, 12)}`,
        );
        if (!rec) {
          console.log(`no pattern with confidence above ${minimumConfidence}`);
          return;
        }
        console.log(
          `fix: ${rec.pattern.fixType}  confidence ${rec.confidence.toFixed(2)} × effectiveness ${rec.effectiveness.toFixed(2)} = ${rec.score.toFixed(2)}`,
        );
        console.log(`context change: ${JSON.stringify(rec.pattern.contextChange)}`);
        console.log(`supporting cases: ${rec.supportingCases.join(', ')}`);
      }),
    );
  patterns
    .command('learn <traceFile>')
    .description('learn from a fixed error: its trace, the kind of fix and the context change that fixed it')
    .requiredOption('--fix-type <type>', fixTypeSchema.options.join(', '))
    .requiredOption('--case <id>', 'an id for this fixed error (a ticket, a commit)')
    .option('--context-change <json>', 'the change made to the context, as JSON', '{}')
    .action((traceFile: string, o: { fixType: string; case: string; contextChange: string }) =>
      withContext(async ({ pool }) => {
        let contextChange: unknown;
        try {
          contextChange = JSON.parse(o.contextChange);
        } catch (err) {
          throw new InvalidArgumentError(`--context-change: not JSON: ${(err as Error).message}`);
        }
        const fix = fixReportSchema.safeParse({ caseId: o.case, fixType: o.fixType, contextChange });
        if (!fix.success) {
          const issue = defined(fix.error.issues[0], 'the first validation issue');
          const option =
            ({ caseId: '--case', fixType: '--fix-type', contextChange: '--context-change' } as Partial<Record<string, string>>)[
              String(issue.path[0])
            ] ?? 'input';
          throw new InvalidArgumentError(`${option}: ${issue.message}`);
        }
        console.log(describePattern(await learnFromFix(pool, await signatureOfFile(traceFile), fix.data)));
      }),
    );
  patterns
    .command('recurred <traceFile>')
    .description('the error in this trace came back after a fix: lowers the effectiveness of the fixes applied for it')
    .action((traceFile: string) =>
      withContext(async ({ pool }) => {
        const updated = await recordSignatureRecurrence(pool, await signatureOfFile(traceFile));
        console.log(updated.length === 0 ? 'no applied fix for this error' : updated.map(describePattern).join('\n'));
      }),
    );
}
