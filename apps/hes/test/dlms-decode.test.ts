import { decodeRlre, encodeAare, encodeAarq, fromHex, toHex } from '@openhes/dlms';
import {
  apduVectors as apdu,
  hdlcVectors as hdlc,
  type Suite0File,
  type Suite0Vector,
  suite0Vectors,
  vectorNamed,
} from '@openhes/testkit/vectors';
import { describe, expect, it } from 'vitest';
import { runHes } from './helpers.ts';

/** The first suite 0 example is a glo-get-request with every ciphering field present. */
const suite0 = suite0Vectors as { common: Suite0File['common']; vectors: [Required<Suite0Vector>] };

describe('hes dlms decode', () => {
  it.each(apdu.vectors.filter((v) => !v.name.startsWith('date-time')))(
    'decodes APDU vector: $name',
    async (v) => {
      const r = await runHes(['dlms', 'decode', '--json', v.hex]);
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.layer).toBe('apdu');
    },
  );

  it.each(hdlc.vectors)('decodes HDLC vector: $name', async (v) => {
    const r = await runHes(['dlms', 'decode', '--json', v.hex]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).layer).toBe('hdlc');
  });

  it('names the OBIS code and types the data of a GET request inside an HDLC I-frame', async () => {
    const r = await runHes(['dlms', 'decode', '7EA0190321326FD8E6E600C001C100080000010000FF0200601A7E']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('0.0.1.0.0.255');
    expect(r.stdout).toMatch(/[Cc]lock/);
    expect(r.stdout).toContain('get-request');
  });

  it('shows a set-request date-time with its fields', async () => {
    const r = await runHes(['dlms', 'decode', 'C101C100080000010000FF0200090C07E50118FF0E303950FFC400']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('2021-01-24');
    expect(r.stdout).toContain('dev -60');
  });

  it('deciphers a glo-get-request with keys and shows both layers', async () => {
    const v = suite0.vectors[0];
    const r = await runHes([
      'dlms',
      'decode',
      '--json',
      '--ek',
      suite0.common.encryptionKey,
      '--ak',
      suite0.common.authenticationKey,
      '--system-title',
      v.systemTitle,
      v.cipheredApdu,
    ]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.apdu.apdu).toBe('glo-get-request');
    expect(out.apdu.invocationCounter).toBe(0x01234567);
    expect(out.apdu.plaintext).toBe(v.plaintext);
    expect(out.apdu.deciphered.apdu).toBe('get-request');
  });

  it('without keys shows the ciphered header only', async () => {
    const v = suite0.vectors[0];
    const r = await runHes(['dlms', 'decode', '--json', v.cipheredApdu]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.apdu.deciphered).toBeUndefined();
    expect(out.apdu.invocationCounter).toBe(0x01234567);
  });

  it('wrong key: clear error, non-zero exit', async () => {
    const v = suite0.vectors[0];
    const r = await runHes([
      'dlms',
      'decode',
      '--ek',
      '00'.repeat(16),
      '--ak',
      suite0.common.authenticationKey,
      '--system-title',
      v.systemTitle,
      v.cipheredApdu,
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('DLMS_AUTH_FAILED');
  });

  describe('ciphered AARQ/AARE user-information: the system title comes from the AP title', () => {
    const keys = ['--ek', suite0Vectors.common.encryptionKey, '--ak', suite0Vectors.common.authenticationKey];
    // Golden ciphered user-information (Green Book suite 0) in ACSE APDUs whose AP title
    // carries the sender's system title.
    const initiate = vectorNamed(suite0Vectors, 'AARQ user-information: glo-initiate-request (0x21)');
    const aarq = toHex(
      encodeAarq({
        applicationContextName: 3,
        callingApTitle: fromHex(initiate.systemTitle),
        userInformation: fromHex(initiate.userInformation!),
      }),
    );
    const rlre = vectorNamed(suite0Vectors, 'RLRE carrying glo-initiate-response (0x28)');
    const aare = toHex(
      encodeAare({
        applicationContextName: 3,
        result: 0,
        resultSourceDiagnostic: { source: 'acse-service-user', value: 0 },
        respondingApTitle: fromHex(rlre.systemTitle),
        userInformation: decodeRlre(fromHex(rlre.apdu!)).userInformation!,
      }),
    );

    it('AARQ: the keys alone open the glo-initiate-request (calling-AP-title)', async () => {
      const r = await runHes(['dlms', 'decode', '--json', ...keys, aarq]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const ui = JSON.parse(r.stdout).apdu.userInformation;
      expect(ui.apdu).toBe('glo-initiate-request');
      expect(ui.systemTitle).toBe(initiate.systemTitle);
      expect(ui.systemTitleFrom).toBe('calling-AP-title');
      expect(ui.plaintext).toBe(initiate.plaintext);
      expect(ui.deciphered.apdu).toBe('InitiateRequest');
      expect(ui.deciphered.fields.dedicatedKey).toBe('00112233445566778899AABBCCDDEEFF');
    });

    it('AARE: the keys alone open the glo-initiate-response (responding-AP-title)', async () => {
      const r = await runHes(['dlms', 'decode', ...keys, aare]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('systemTitleFrom: responding-AP-title');
      expect(r.stdout).toContain(`plaintext: ${rlre.plaintext!.replace(/(..)(?!$)/g, '$1 ')}`);
      expect(r.stdout).toContain('apdu: InitiateResponse');
    });

    it('the APDU title wins over a wrong --system-title; without one the output asks for it', async () => {
      const wrong = await runHes([
        'dlms',
        'decode',
        '--json',
        ...keys,
        '--system-title',
        '00'.repeat(8),
        aarq,
      ]);
      expect(wrong.status).toBe(0);
      expect(JSON.parse(wrong.stdout).apdu.userInformation.deciphered.apdu).toBe('InitiateRequest');
      const bare = await runHes(['dlms', 'decode', '--json', ...keys, rlre.apdu!]);
      expect(bare.status).toBe(0);
      expect(JSON.parse(bare.stdout).apdu.userInformation.note).toContain('--system-title');
      const given = await runHes([
        'dlms',
        'decode',
        '--json',
        ...keys,
        '--system-title',
        rlre.systemTitle,
        rlre.apdu!,
      ]);
      expect(JSON.parse(given.stdout).apdu.userInformation.plaintext).toBe(rlre.plaintext);
    });
  });

  it('decodes a wrapper PDU', async () => {
    const r = await runHes([
      'dlms',
      'decode',
      '--json',
      '0001001000010005C100000001'.replace('C100000001', 'C401C10101'),
    ]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.layer).toBe('wrapper');
    expect(out.apdu.apdu).toBe('get-response');
  });

  it('reads one PDU per line from stdin and reports bad lines with their offset', async () => {
    const r = await runHes(['dlms', 'decode'], 'C401C1000600001391\n# comment\nC401C100060000\n');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('5009');
    expect(r.stderr).toMatch(/DLMS_TRUNCATED.*offset/);
  });

  it('a truncated ciphered APDU is an error even without keys', async () => {
    const r = await runHes(['dlms', 'decode', 'C81E30012345']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('DLMS_TRUNCATED');
  });

  it('rejects hex that is not hex', async () => {
    const r = await runHes(['dlms', 'decode', 'XYZ']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('DLMS_MALFORMED');
  });
});
