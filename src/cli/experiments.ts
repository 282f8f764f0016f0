import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { effectiveness, fixReportSchema, fixTypeSchema, minimumConfidence, recommendFix, type DebugPattern } from '../experiments/debug-patterns.js';
import { errorSignature } from '../experiments/error-signature.js';
import { learnFromFix, listPatterns, recordSignatureRecurrence } from '../experiments/pattern-store.js';
import { planSampleSize, sampleSizeInputSchema } from '../experiments/sample-size.js';
import { parseStackTrace } from '../experiments/stack-trace.js';
import { withContext } from './context.js';

const number = (name: string) => (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got "${value}"`);
  return n;
};

const describePattern = (p: DebugPattern) =>
  `${p.signature.hash.slice(0, 12)}  ${p.signature.language}  ${p.signature.type} at ${p.signature.location}  fix: ${p.fixType}  ` +
  `cases: ${p.cases.length}  applied ${p.applied}, recurred ${p.recurred}  effectiveness ${effectiveness(p).toFixed(2)}`;

async function signatureOfFile(file: string) {
  return errorSignature(parseStackTrace(await readFile(file, 'utf8')));
}

/** Requests per hour the model served over the last day. */
async function currentTraffic(modelId: string): Promise<number> {
  return withContext(async ({ pool }) => {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM inference_requests WHERE model_id = $1 AND at > now() - interval '24 hours'`,
      [modelId],
    );
    return rows[0]!.n / 24;
  });
}

export function registerExperimentCommands(program: Command): void {
  const ab = program.command('ab').description('A/B tests of context strategies');
  ab.command('plan')
    .description('how many requests per variant, and how many hours at the current traffic, an A/B test needs')
    .requiredOption('--baseline <rate>', 'the control\'s pass/success rate, e.g. 0.71', number('--baseline'))
    .requiredOption('--mde <delta>', 'smallest absolute change worth detecting, e.g. 0.02', number('--mde'))
    .option('--alpha <alpha>', 'significance level (two-sided)', number('--alpha'), 0.05)
    .option('--power <power>', 'chance of detecting a change of mde', number('--power'), 0.8)
    .option('--split <percent>', 'percent of traffic to variant B', number('--split'), 50)
    .option('--requests-per-hour <n>', 'traffic to plan with (default: the model\'s last 24 hours)', number('--requests-per-hour'))
    .option('--model <modelId>', 'model whose traffic of the last 24 hours is used', 'reference')
    .action(async (o: { baseline: number; mde: number; alpha: number; power: number; split: number; requestsPerHour?: number; model: string }) => {
      const requestsPerHour = o.requestsPerHour ?? (await currentTraffic(o.model));
      const input = { baseline: o.baseline, mde: o.mde, alpha: o.alpha, power: o.power, trafficSplit: o.split, requestsPerHour };
      const checked = sampleSizeInputSchema.safeParse(input);
      if (!checked.success) {
        const issue = checked.error.issues[0]!;
        throw new InvalidArgumentError(`--${String(issue.path[0] ?? 'input').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${issue.message}`);
      }
      const plan = planSampleSize(input);
      console.log(`${plan.samplesPerArm} requests per variant (${plan.totalSamples} in all) to detect ${o.baseline} → ${+(o.baseline + o.mde).toFixed(6)} ` +
        `at alpha ${o.alpha}, power ${o.power}`);
      console.log(`at ${+requestsPerHour.toFixed(1)} requests/hour with ${o.split}% to B: ${plan.hours.toFixed(1)} hours (${(plan.hours / 24).toFixed(1)} days)`);
    });

  const patterns = program.command('patterns').description('debugging patterns learned from fixed errors');
  patterns.command('list')
    .description('learned patterns, newest first')
    .option('--language <language>', 'javascript, python or java')
    .option('--type <errorType>', 'error type, e.g. TypeError')
    .action((o: { language?: string; type?: string }) =>
      withContext(async ({ pool }) => {
        const all = await listPatterns(pool, o);
        console.log(all.length === 0 ? 'no patterns learned yet' : all.map(describePattern).join('\n'));
      }),
    );
  patterns.command('recommend <traceFile>')
    .description(`the best fix for the error in a stack trace file, if a pattern is more than ${minimumConfidence} confident`)
    .action((traceFile: string) =>
      withContext(async ({ pool }) => {
        const signature = await signatureOfFile(traceFile);
        const rec = recommendFix(await listPatterns(pool, { language: signature.language, type: signature.type }), signature);
        console.log(`error: ${signature.type} at ${signature.location} (${signature.symptoms.join('; ')}) signature ${signature.hash.slice(0, 12)}`);
        if (!rec) {
          console.log(`no pattern with confidence above ${minimumConfidence}`);
          return;
        }
        console.log(`fix: ${rec.pattern.fixType}  confidence ${rec.confidence.toFixed(2)} × effectiveness ${rec.effectiveness.toFixed(2)} = ${rec.score.toFixed(2)}`);
        console.log(`context change: ${JSON.stringify(rec.pattern.contextChange)}`);
        console.log(`supporting cases: ${rec.supportingCases.join(', ')}`);
      }),
    );
  patterns.command('learn <traceFile>')
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
          const issue = fix.error.issues[0]!;
          const option = { caseId: '--case', fixType: '--fix-type', contextChange: '--context-change' }[String(issue.path[0]) as 'caseId'] ?? 'input';
          throw new InvalidArgumentError(`${option}: ${issue.message}`);
        }
        console.log(describePattern(await learnFromFix(pool, await signatureOfFile(traceFile), fix.data)));
      }),
    );
  patterns.command('recurred <traceFile>')
    .description('the error in this trace came back after a fix: lowers the effectiveness of the fixes applied for it')
    .action((traceFile: string) =>
      withContext(async ({ pool }) => {
        const updated = await recordSignatureRecurrence(pool, await signatureOfFile(traceFile));
        console.log(updated.length === 0 ? 'no applied fix for this error' : updated.map(describePattern).join('\n'));
      }),
    );
}
