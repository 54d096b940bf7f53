/**
 * A-XDR `Data` CHOICE (Green Book). Tags are the wire tag numbers; `DlmsData` is a
 * discriminated union on `type`, named as in the standard so code greps against the book.
 */
export const DataTag = {
  'null-data': 0,
  array: 1,
  structure: 2,
  boolean: 3,
  'bit-string': 4,
  'double-long': 5,
  'double-long-unsigned': 6,
  'octet-string': 9,
  'visible-string': 10,
  'utf8-string': 12,
  bcd: 13,
  integer: 15,
  long: 16,
  unsigned: 17,
  'long-unsigned': 18,
  'compact-array': 19,
  long64: 20,
  'long64-unsigned': 21,
  enum: 22,
  float32: 23,
  float64: 24,
  'date-time': 25,
  date: 26,
  time: 27,
  'delta-integer': 28,
  'delta-long': 29,
  'delta-double-long': 30,
  'delta-unsigned': 31,
  'delta-long-unsigned': 32,
  'delta-double-long-unsigned': 33,
  'dont-care': 255,
} as const;
export type DataTypeName = keyof typeof DataTag;

/** A bit-string: `length` bits; bit 0 is the most significant bit of bytes[0]. */
export interface BitString {
  length: number;
  bytes: Uint8Array;
}

/**
 * COSEM date (5 bytes). Every field is kept as on the wire so that wildcards survive a
 * round trip: year 0xFFFF, month 0xFD/0xFE/0xFF, day-of-month 0xFD/0xFE/0xFF,
 * day-of-week 0xFF mean "daylight-saving end/begin", "2nd last / last day", "not specified".
 */
export interface CosemDate {
  year: number;
  month: number;
  dayOfMonth: number;
  dayOfWeek: number;
}

/** COSEM time (4 bytes); 0xFF in any field = not specified. */
export interface CosemTime {
  hour: number;
  minute: number;
  second: number;
  hundredths: number;
}

/**
 * COSEM date-time (12 bytes). `deviation` is minutes (signed, -720..720) as the meter
 * sends it, or `null` for 0x8000 "not specified". `clockStatus` is the raw status byte,
 * 0xFF when not specified. No host time zone is ever consulted.
 */
export interface CosemDateTime extends CosemDate, CosemTime {
  deviation: number | null;
  clockStatus: number;
}

/** Type description inside a compact-array (tags as in `DataTag`). */
export type TypeDescription =
  | { type: 'array'; count: number; element: TypeDescription }
  | { type: 'structure'; elements: TypeDescription[] }
  | { type: Exclude<DataTypeName, 'array' | 'structure' | 'compact-array'> };

export type DlmsData =
  | { type: 'null-data' }
  | { type: 'dont-care' }
  | { type: 'array'; value: DlmsData[] }
  | { type: 'structure'; value: DlmsData[] }
  | { type: 'compact-array'; description: TypeDescription; value: DlmsData[] }
  | { type: 'boolean'; value: boolean }
  | { type: 'bit-string'; value: BitString }
  | { type: 'double-long'; value: number }
  | { type: 'double-long-unsigned'; value: number }
  | { type: 'octet-string'; value: Uint8Array }
  /** Bytes decoded as latin1 so every byte value survives the round trip. */
  | { type: 'visible-string'; value: string }
  | { type: 'utf8-string'; value: string }
  | { type: 'bcd'; value: number }
  | { type: 'integer'; value: number }
  | { type: 'long'; value: number }
  | { type: 'unsigned'; value: number }
  | { type: 'long-unsigned'; value: number }
  | { type: 'long64'; value: bigint }
  | { type: 'long64-unsigned'; value: bigint }
  | { type: 'enum'; value: number }
  | { type: 'float32'; value: number }
  | { type: 'float64'; value: number }
  | { type: 'date-time'; value: CosemDateTime }
  | { type: 'date'; value: CosemDate }
  | { type: 'time'; value: CosemTime }
  /**
   * delta-* (tags 28..33, conformance bit 6 delta-value-encoding) are decoded as the difference
   * that travels on the wire, never added to a previous element: no public source we could
   * check states the reference value, so the caller owns reconstruction.
   */
  | { type: 'delta-integer'; value: number }
  | { type: 'delta-long'; value: number }
  | { type: 'delta-double-long'; value: number }
  | { type: 'delta-unsigned'; value: number }
  | { type: 'delta-long-unsigned'; value: number }
  | { type: 'delta-double-long-unsigned'; value: number };

export type DlmsDataOf<T extends DlmsData['type']> = Extract<DlmsData, { type: T }>;
