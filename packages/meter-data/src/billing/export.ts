import type { Bill } from '@openhes/core';
import { formatScaled } from './decimal.ts';

export type ExportFormat = 'csv' | 'json';

/** CSV columns: one row per bill line, then one `total` row per bill. */
export const BILL_CSV_COLUMNS = [
  'bill_id',
  'meter_id',
  'cycle',
  'version',
  'from',
  'to',
  'tariff',
  'tariff_revision',
  'estimated',
  'flags',
  'kind',
  'code',
  'description',
  'quantity',
  'unit',
  'rate',
  'amount',
  'amount_minor',
  'currency',
] as const;

function cell(v: string | number | boolean): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const iso = (t: number) => new Date(t).toISOString();

/**
 * Bills as CSV (RFC 4180, CRLF line ends, a header row). Amounts appear twice: as a decimal in
 * major units and as integer minor units. Estimated bills say so in `estimated` and `flags`
 * on every row.
 */
export function billsToCsv(bills: readonly Bill[]): string {
  const rows: string[] = [BILL_CSV_COLUMNS.join(',')];
  for (const b of bills) {
    const head = [
      b.id,
      b.meterId,
      b.cycle,
      b.version,
      iso(b.from),
      iso(b.to),
      b.tariffId,
      b.tariffRevision,
      b.estimated,
      b.flags.join('|'),
    ];
    for (const l of b.lines) {
      rows.push(
        [
          ...head,
          l.kind,
          l.code,
          l.description,
          l.quantity,
          l.unit,
          l.rate,
          formatScaled(l.amount, b.minorDigits),
          l.amount,
          b.currency,
        ]
          .map(cell)
          .join(','),
      );
    }
    rows.push(
      [
        ...head,
        'total',
        'total',
        'Total',
        '',
        '',
        '',
        formatScaled(b.total, b.minorDigits),
        b.total,
        b.currency,
      ]
        .map(cell)
        .join(','),
    );
  }
  return `${rows.join('\r\n')}\r\n`;
}

/** Bills as JSON: every stored field, amounts in minor units plus `totalText` in major units. */
export function billsToJson(bills: readonly Bill[]): string {
  return JSON.stringify(
    {
      bills: bills.map((b) => ({
        ...b,
        from: iso(b.from),
        to: iso(b.to),
        createdAt: iso(b.createdAt),
        totalText: formatScaled(b.total, b.minorDigits),
      })),
    },
    null,
    2,
  );
}
