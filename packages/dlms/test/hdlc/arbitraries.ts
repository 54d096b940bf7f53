import fc from 'fast-check';
import type { HdlcAddress, HdlcControl, HdlcFrame } from '../../src/hdlc/index.ts';

const seq = fc.integer({ min: 0, max: 7 });

export const arbHdlcAddress: fc.Arbitrary<HdlcAddress> = fc.oneof(
  fc.integer({ min: 0, max: 0x7f }).map((logical) => ({ logical, size: 1 as const })),
  fc
    .tuple(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0, max: 0x7f }))
    .map(([logical, physical]) => ({ logical, physical, size: 2 as const })),
  fc
    .tuple(fc.integer({ min: 0, max: 0x3fff }), fc.integer({ min: 0, max: 0x3fff }))
    .map(([logical, physical]) => ({ logical, physical, size: 4 as const })),
);

export const arbHdlcControl: fc.Arbitrary<HdlcControl> = fc.oneof(
  fc.record({ kind: fc.constant('I' as const), ns: seq, nr: seq, pf: fc.boolean() }),
  fc.record({ kind: fc.constantFrom('RR' as const, 'RNR' as const), nr: seq, pf: fc.boolean() }),
  fc.record({
    kind: fc.constantFrom(
      'SNRM' as const,
      'UA' as const,
      'DISC' as const,
      'DM' as const,
      'FRMR' as const,
      'UI' as const,
    ),
    pf: fc.boolean(),
  }),
);

export const arbHdlcFrame: fc.Arbitrary<HdlcFrame> = fc.record({
  destination: arbHdlcAddress,
  source: arbHdlcAddress,
  control: arbHdlcControl,
  segmented: fc.boolean(),
  information: fc.uint8Array({ maxLength: 300 }),
});
