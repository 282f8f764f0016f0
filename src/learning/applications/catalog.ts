import { pick } from '../../training/random.js';
import { parseRequirements } from '../requirements.js';
import { hashUnit, type SimulatedApplication } from './serve.js';

const DAY_MS = 86_400_000;
const EPOCH = Date.UTC(2026, 10, 1);

const TICKETS = [
  { text: 'I was charged twice for my subscription this month', category: 'billing', priority: 'high' },
  { text: 'The invoice total does not match my plan price', category: 'billing', priority: 'normal' },
  { text: 'I cannot log in since the password reset', category: 'access', priority: 'high' },
  { text: 'Two factor code never arrives by SMS', category: 'access', priority: 'normal' },
  { text: 'The export button crashes the page with an error', category: 'bug', priority: 'normal' },
  { text: 'Dark mode would be nice to have in the dashboard', category: 'feature', priority: 'low' },
] as const;
const NON_ASCII_TICKETS = [
  'Не могу войти в аккаунт после обновления',
  'ログインできません。助けてください',
  'La facture est fausse — montant erroné',
];

const KEYWORDS: Record<string, string> = {
  charged: 'billing',
  invoice: 'billing',
  log: 'access',
  code: 'access',
  crashes: 'bug',
  error: 'bug',
  nice: 'feature',
};

/**
 * Ticket triage: categorises support tickets and sets a due date. Its first requirements say nothing about empty
 * tickets, tickets in other scripts, very long tickets, the `summary` it also answers, or how to write dates.
 */
export const ticketTriage: SimulatedApplication = {
  id: 'ticket-triage',
  endpoint: 'triage',
  variants: ['v1', 'v2'],
  compute(input) {
    const text = String(input.text);
    const words = text.toLowerCase().split(/\W+/);
    const category = words.map((w) => KEYWORDS[w]).find((c) => c !== undefined) ?? (/[^\x20-\x7e]/.test(text) ? null : 'other');
    const priority = /twice|cannot|crash/i.test(text) ? 'high' : category === 'feature' ? 'low' : 'normal';
    const due = new Date(
      EPOCH + (priority === 'high' ? 1 : priority === 'normal' ? 3 : 14) * DAY_MS + Math.floor(hashUnit(text) * 20) * DAY_MS,
    );
    return { category, priority, due_date: due, summary: text.slice(0, 40) };
  },
  crashesOn: { 'text:empty': 'TypeError: cannot read the first sentence of an empty ticket' },
  undeterminedOn: { 'text:non_ascii': ['category'] },
  costPerChar: { field: 'text', ms: 0.45 },
  input(rand) {
    const u = rand();
    if (u < 0.03) return { text: '   ' };
    if (u < 0.1) return { text: pick(rand, NON_ASCII_TICKETS) };
    if (u < 0.13) return { text: Array.from({ length: 40 + Math.floor(rand() * 40) }, () => pick(rand, TICKETS).text).join('. ') };
    return { text: `${pick(rand, TICKETS).text} (ticket ${Math.floor(rand() * 100_000)})` };
  },
  initialRequirements: parseRequirements({
    schema_version: 1,
    application: 'ticket-triage',
    version: 1,
    title: 'Support ticket triage',
    api_specification: {
      endpoints: [
        {
          id: 'triage',
          method: 'POST',
          path: '/v1/triage',
          request_schema: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } },
          response_schema: {
            type: 'object',
            required: ['category', 'priority', 'due_date'],
            additionalProperties: false,
            properties: {
              category: { type: 'string' },
              priority: { type: 'string', enum: ['low', 'normal', 'high'] },
              due_date: { type: 'string' },
            },
          },
        },
      ],
    },
    behavioral_specifications: {
      scenarios: [
        { id: 'sc-billing', description: 'a billing complaint', then: 'category billing' },
        { id: 'sc-urgent', description: 'a customer locked out or charged twice', then: 'priority high, due the next day' },
      ],
    },
  }),
};

const VENDORS = ['Acme Supplies', 'Globex', 'Initech', 'Umbrella Corp', 'Stark Industries'];

/**
 * Invoice extraction: pulls vendor, total and issue date from invoice text. Its first requirements leave empty
 * documents, vendors in other scripts and the date format open; its v2 also has a plain bug (totals lose their
 * cents) that stays after refinement.
 */
export const invoiceExtractor: SimulatedApplication = {
  id: 'invoice-extractor',
  endpoint: 'extract',
  variants: ['v1', 'v2'],
  compute(input, variant) {
    const text = String(input.text);
    const parsed = Number(/total ([\d.]+)/.exec(text)?.[1] ?? 0);
    // v2's parser drops the cents: an implementation bug no requirement refinement can fix.
    const total = variant === 'v2' ? Math.trunc(parsed) : parsed;
    const vendor = /^From (.+?):/.exec(text)?.[1] ?? null;
    return {
      vendor: vendor && /[^\x20-\x7e]/.test(vendor) ? null : vendor,
      total,
      issue_date: new Date(EPOCH + Math.floor(hashUnit(text) * 28) * DAY_MS),
    };
  },
  crashesOn: { 'text:empty': 'RangeError: invoice has no lines' },
  undeterminedOn: { 'text:non_ascii': ['vendor'] },
  costPerChar: { field: 'text', ms: 0.1 },
  input(rand) {
    const u = rand();
    if (u < 0.03) return { text: '' };
    const vendor = u < 0.1 ? pick(rand, ['Müller GmbH', 'Société Générale', '株式会社テック']) : pick(rand, VENDORS);
    return { text: `From ${vendor}: ${1 + Math.floor(rand() * 9)} items, total ${(rand() * 900 + 10).toFixed(2)}` };
  },
  initialRequirements: parseRequirements({
    schema_version: 1,
    application: 'invoice-extractor',
    version: 1,
    title: 'Invoice field extraction',
    api_specification: {
      endpoints: [
        {
          id: 'extract',
          method: 'POST',
          path: '/v1/extract',
          request_schema: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } },
          response_schema: {
            type: 'object',
            required: ['vendor', 'total', 'issue_date'],
            properties: { vendor: { type: 'string' }, total: { type: 'number', minimum: 0 }, issue_date: { type: 'string' } },
          },
        },
      ],
    },
    behavioral_specifications: { scenarios: [{ id: 'sc-total', description: 'an invoice with a total', then: 'total as a number' }] },
  }),
};

const STREETS = ['12 High Street', '4 Station Road', '221B Baker Street', '10 Downing Street', '7 Mill Lane'];
const CITIES = [
  { city: 'London', postal: 'SW1A 2AA' },
  { city: 'Leeds', postal: 'LS1 4DY' },
  { city: 'Bristol', postal: 'BS1 5TR' },
];

/**
 * Address normalisation: splits a free-text address into parts. Its first requirements leave addresses in other
 * scripts (the implementation only handles ASCII and throws), empty addresses, the `country_code` it also answers
 * and the form of `verified_on` open.
 */
export const addressNormalizer: SimulatedApplication = {
  id: 'address-normalizer',
  endpoint: 'normalize',
  variants: ['v1', 'v2'],
  compute(input) {
    const text = String(input.text);
    const [street = '', city = ''] = text.split(',').map((p) => p.trim());
    const postal_code = CITIES.find((c) => c.city === city)?.postal ?? null;
    return { street, city, postal_code, country_code: 'GB', verified_on: new Date(EPOCH + Math.floor(hashUnit(text) * 10) * DAY_MS) };
  },
  crashesOn: { 'text:non_ascii': "UnicodeEncodeError: 'ascii' codec can't encode character" },
  undeterminedOn: { 'text:empty': ['postal_code'] },
  costPerChar: { field: 'text', ms: 0.2 },
  input(rand) {
    const u = rand();
    if (u < 0.04) return { text: '' };
    if (u < 0.08) return { text: pick(rand, ['Straße des 17. Juni 135, Berlin', '1-1 Chiyoda, 東京', 'Plaça de Catalunya, Barcelona']) };
    const place = pick(rand, CITIES);
    return { text: `${pick(rand, STREETS)}, ${place.city}` };
  },
  initialRequirements: parseRequirements({
    schema_version: 1,
    application: 'address-normalizer',
    version: 1,
    title: 'Postal address normalisation',
    api_specification: {
      endpoints: [
        {
          id: 'normalize',
          method: 'POST',
          path: '/v1/normalize',
          request_schema: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } },
          response_schema: {
            type: 'object',
            required: ['street', 'city', 'postal_code'],
            additionalProperties: false,
            properties: {
              street: { type: 'string' },
              city: { type: 'string' },
              postal_code: { type: 'string' },
              verified_on: { type: 'string' },
            },
          },
        },
      ],
    },
  }),
};

export const simulatedApplications: readonly SimulatedApplication[] = [ticketTriage, invoiceExtractor, addressNormalizer];

export function findSimulatedApplication(id: string): SimulatedApplication | undefined {
  return simulatedApplications.find((a) => a.id === id);
}
