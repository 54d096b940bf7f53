import type { HdlcFrame } from '../../src/hdlc/index.ts';

const CLIENT16 = { logical: 16, size: 1 } as const;
const SERVER1 = { logical: 1, size: 1 } as const;
const NONE = new Uint8Array(0);

export interface FrameFixture {
  name: string;
  hex: string;
  frame: HdlcFrame;
}

/**
 * Provenance: written by hand from the frame layout in reference tables §9; HCS/FCS are
 * CRC-16/X.25 (our crc16x25, itself checked against check("123456789") = 0x906E and the
 * six DLMS UA vectors). Every field is annotated.
 */
export const FRAME_FIXTURES: FrameFixture[] = [
  {
    name: 'I-frame, first segment (S bit) of a GetRequest',
    hex: [
      '7E',
      'A8 0F', // type 3, S = 1, length 15
      '03', // destination: server logical 1 (1-byte form)
      '21', // source: client 16
      '00', // I-frame, N(R) 0, P 0, N(S) 0
      'E5 18', // HCS 0x18E5
      'E6 E6 00', // LLC, command (first segment only)
      'C0 01 C1', // start of a GetRequestNormal
      '23 CD', // FCS 0xCD23
      '7E',
    ].join(' '),
    frame: {
      destination: SERVER1,
      source: CLIENT16,
      control: { kind: 'I', ns: 0, nr: 0, pf: false },
      segmented: true,
      information: Uint8Array.of(0xe6, 0xe6, 0x00, 0xc0, 0x01, 0xc1),
    },
  },
  {
    name: 'RR, N(R) 2, final',
    hex: '7E A0 07 21 03 51 11 42 7E', // length 7; dest client 16; src server 1; 0x51 = 010 1 0001; FCS 0x4211
    frame: {
      destination: CLIENT16,
      source: SERVER1,
      control: { kind: 'RR', nr: 2, pf: true },
      segmented: false,
      information: NONE,
    },
  },
  {
    name: 'RNR, N(R) 3, final',
    hex: '7E A0 07 21 03 75 37 25 7E', // 0x75 = 011 1 0101; FCS 0x2537
    frame: {
      destination: CLIENT16,
      source: SERVER1,
      control: { kind: 'RNR', nr: 3, pf: true },
      segmented: false,
      information: NONE,
    },
  },
  {
    name: 'DM, final',
    hex: '7E A0 07 21 03 1F 6B E9 7E', // 0x1F = DM 0x0F | F; FCS 0xE96B
    frame: {
      destination: CLIENT16,
      source: SERVER1,
      control: { kind: 'DM', pf: true },
      segmented: false,
      information: NONE,
    },
  },
  {
    name: 'FRMR with its 3-byte reason field',
    hex: [
      '7E A0 0C 21 03',
      '97', // FRMR 0x87 | F
      '3E 21', // HCS 0x213E
      '32 12 00', // rejected control 0x32, V(S)/V(R), reason bits
      '40 5A', // FCS 0x5A40
      '7E',
    ].join(' '),
    frame: {
      destination: CLIENT16,
      source: SERVER1,
      control: { kind: 'FRMR', pf: true },
      segmented: false,
      information: Uint8Array.of(0x32, 0x12, 0x00),
    },
  },
  {
    name: 'UI without final, carrying a response LLC and an EventNotification tag',
    hex: '7E A0 0D 21 03 03 28 EF E6 E7 00 C2 25 68 7E', // 0x03 = UI; HCS 0xEF28; LLC E6 E7 00; C2; FCS 0x6825
    frame: {
      destination: CLIENT16,
      source: SERVER1,
      control: { kind: 'UI', pf: false },
      segmented: false,
      information: Uint8Array.of(0xe6, 0xe7, 0x00, 0xc2),
    },
  },
  {
    name: 'SNRM to a 4-byte server address (logical 1, physical 0x1234)',
    hex: [
      '7E A0 0A', // length 10
      '00 02', // upper: (1 >> 7) << 1, (1 & 0x7F) << 1
      '48 69', // lower 0x1234: (0x24) << 1, (0x34 << 1) | 1 (last byte)
      '21', // client 16
      '93', // SNRM | P
      '7B F7', // FCS 0xF77B
      '7E',
    ].join(' '),
    frame: {
      destination: { logical: 1, physical: 0x1234, size: 4 },
      source: CLIENT16,
      control: { kind: 'SNRM', pf: true },
      segmented: false,
      information: NONE,
    },
  },
];
