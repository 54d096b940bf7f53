export const ChannelKind = {
  interval: 'interval',
  register: 'register',
  instantaneous: 'instantaneous',
} as const;
export type ChannelKind = (typeof ChannelKind)[keyof typeof ChannelKind];

/** One measured quantity of one meter: a COSEM object attribute. */
export interface ChannelDef {
  /** OBIS code in the dotted form `A-B:C.D.E.F` or `A.B.C.D.E.F`. */
  obis: string;
  attribute: number;
  kind: ChannelKind;
  /** Unit symbol after scaling, e.g. `Wh`, `V`. */
  unit: string;
  /** Power-of-ten scaler from the COSEM scaler_unit (value = raw × 10^scaler). */
  scaler: number;
  /** Interval length in seconds for `interval` channels, null otherwise. */
  intervalSeconds: number | null;
}

export interface Channel extends ChannelDef {
  id: number;
  meterId: number;
}
