import { z } from 'zod';
import { ReportError, reportIssue } from './report-error.js';

/** One static-analysis finding, reduced to what the learning loop uses. */
export interface Finding {
  tool: string;
  ruleId: string;
  level: 'error' | 'warning' | 'note' | 'none';
  message: string;
  location: string | null;
  /** A rule tagged "security" or carrying a security-severity. */
  security: boolean;
  /** 0–10, GitHub code scanning's scale: the rule's security-severity, else from the level. */
  severity: number;
}

const ruleSchema = z.looseObject({
  id: z.string(),
  properties: z.looseObject({ tags: z.array(z.string()).optional(), 'security-severity': z.string().optional() }).optional(),
});

// Only the parts of SARIF 2.1.0 used here; the rest of a log passes through unread.
const sarifSchema = z.looseObject({
  version: z.literal('2.1.0', { error: 'only SARIF version 2.1.0 is accepted' }),
  runs: z.array(
    z.looseObject({
      tool: z.looseObject({ driver: z.looseObject({ name: z.string(), rules: z.array(ruleSchema).optional() }) }),
      results: z
        .array(
          z.looseObject({
            ruleId: z.string().optional(),
            ruleIndex: z.number().int().min(0).optional(),
            level: z.enum(['error', 'warning', 'note', 'none']).optional(),
            message: z.looseObject({ text: z.string().optional(), id: z.string().optional() }),
            locations: z
              .array(
                z.looseObject({
                  physicalLocation: z
                    .looseObject({
                      artifactLocation: z.looseObject({ uri: z.string().optional() }).optional(),
                      region: z.looseObject({ startLine: z.number().int().optional() }).optional(),
                    })
                    .optional(),
                }),
              )
              .optional(),
          }),
        )
        .optional(),
    }),
  ),
});

// GitHub's bands: low 0.1–3.9, medium 4–6.9, high 7–8.9; a finding's level stands in when its rule has no score.
const severityOfLevel = { error: 7, warning: 4, note: 1, none: 0 } as const;

/** Parses a SARIF 2.1.0 log (JSON text or already-parsed JSON) into findings. */
export function parseSarif(input: unknown): Finding[] {
  let json: unknown = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (err) {
      throw new ReportError(`SARIF: not JSON: ${(err as Error).message}`);
    }
  }
  const parsed = sarifSchema.safeParse(json);
  if (!parsed.success) throw reportIssue('SARIF', parsed.error);
  return parsed.data.runs.flatMap((run) => {
    const rules = run.tool.driver.rules ?? [];
    return (run.results ?? []).map((r): Finding => {
      const rule = (r.ruleIndex !== undefined ? rules[r.ruleIndex] : undefined) ?? rules.find((x) => x.id === r.ruleId);
      const level = r.level ?? 'warning'; // SARIF's default level
      const scored = Number(rule?.properties?.['security-severity']);
      const security = Number.isFinite(scored) || (rule?.properties?.tags ?? []).includes('security');
      const where = r.locations?.[0]?.physicalLocation;
      return {
        tool: run.tool.driver.name,
        ruleId: r.ruleId ?? rule?.id ?? 'unknown',
        level,
        message: r.message.text ?? r.message.id ?? '',
        location: where?.artifactLocation?.uri ? `${where.artifactLocation.uri}:${where.region?.startLine ?? 0}` : null,
        security,
        severity: Number.isFinite(scored) ? scored : severityOfLevel[level],
      };
    });
  });
}
