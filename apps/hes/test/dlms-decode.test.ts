import {
  decodeRlre,
  encodeAare,
  encodeAarq,
  encodeRlre,
  encodeXdlmsApdu,
  entryDescriptor,
  fromHex,
  rangeDescriptor,
  toHex,
} from '@openhes/dlms';
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

  it('decodes the link parameters of SNRM and UA instead of calling them a segment', async () => {
    const ua = vectorNamed(hdlc, 'UA, max info 128/128, window 1');
    const r = await runHes(['dlms', 'decode', '--json', ua.hex]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.note).toBeUndefined();
    expect(out.parameters).toEqual({
      maxInfoTransmit: 128,
      maxInfoReceive: 128,
      windowTransmit: 1,
      windowReceive: 1,
    });
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

  describe('every enumeration the standard names is named', () => {
    const json = async (hex: string) => {
      const r = await runHes(['dlms', 'decode', '--json', hex]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      return JSON.parse(r.stdout).apdu;
    };
    const clock = { classId: 8, instanceId: Uint8Array.of(0, 0, 1, 0, 0, 255), attributeId: 2, dataIndex: 0 };
    const profile = { classId: 7, instanceId: Uint8Array.of(1, 0, 99, 1, 0, 255), attributeId: 2 };
    const at = (hex: string) => ({ type: 'octet-string' as const, value: fromHex(hex) });

    it('release reasons of RLRQ and RLRE', async () => {
      expect((await json(vectorNamed(apdu, 'RLRQ, reason normal').hex)).fields.reason).toBe('normal (0)');
      expect((await json(toHex(encodeRlre({ reason: 1 })))).fields.reason).toBe('not-finished (1)');
      expect((await json(toHex(encodeRlre({ reason: 30 })))).fields.reason).toBe('user-defined (30)');
    });

    it('association result, diagnostic, vaa-name and the user-information tag of an AARE', async () => {
      const accepted = await json(vectorNamed(apdu, 'AARE, accepted').hex);
      expect(accepted.fields.result).toBe('accepted (0)');
      expect(accepted.fields.resultSourceDiagnostic).toEqual({
        source: 'acse-service-user',
        value: 'null (0)',
      });
      expect(accepted.userInformation.tag).toBe('initiateResponse (0x08)');
      expect(accepted.userInformation.value.vaaName).toBe('logical-name (0x0007)');
      const rejected = await json(
        toHex(
          encodeAare({
            applicationContextName: 1,
            result: 1,
            resultSourceDiagnostic: { source: 'acse-service-user', value: 13 },
          }),
        ),
      );
      expect(rejected.fields.result).toBe('rejected-permanent (1)');
      expect(rejected.fields.resultSourceDiagnostic.value).toBe('authentication-failure (13)');
    });

    it('a ConfirmedServiceError value', async () => {
      expect((await json('0E010601')).fields).toEqual({
        service: 'initiateError',
        serviceError: 'initiate',
        value: 'dlms-version-too-low (1)',
      });
    });

    it('class, attribute and method of descriptors', async () => {
      const get = await json(vectorNamed(apdu, 'GetRequestNormal').hex);
      expect(get.fields.cosemAttributeDescriptor).toMatchObject({
        classId: 'Data (1)',
        attributeId: 'value (2)',
      });
      const act = await json(
        toHex(
          encodeXdlmsApdu({
            type: 'action-request',
            choice: 'normal',
            invokeIdAndPriority: 0xc1,
            cosemMethodDescriptor: {
              classId: 70,
              instanceId: Uint8Array.of(0, 0, 96, 3, 10, 255),
              methodId: 1,
            },
            methodInvocationParameters: { type: 'integer', value: 0 },
          }),
        ),
      );
      expect(act.fields.cosemMethodDescriptor).toMatchObject({
        classId: 'Disconnect control (70)',
        methodId: 'remote_disconnect (1)',
      });
    });

    it('the access selector of a profile buffer, with its range or entry descriptor spelled out', async () => {
      const range = await json(
        toHex(
          encodeXdlmsApdu({
            type: 'get-request',
            choice: 'normal',
            invokeIdAndPriority: 0xc1,
            cosemAttributeDescriptor: profile,
            accessSelection: rangeDescriptor({
              restrictingObject: clock,
              fromValue: at('07E80101FF000000008000FF'),
              toValue: at('07E80102FF000000008000FF'),
              selectedValues: [],
            }),
          }),
        ),
      );
      const sel = range.fields.accessSelection;
      expect(sel.accessSelector).toBe('range-descriptor (1)');
      expect(sel.rangeDescriptor.restrictingObject).toMatchObject({
        classId: 'Clock (8)',
        instanceId: '0.0.1.0.0.255 (Clock)',
        attributeId: 'time (2)',
      });
      expect(sel.rangeDescriptor.fromValue.dateTime).toMatch(/^2024-01-01/);
      const entries = await json(
        toHex(
          encodeXdlmsApdu({
            type: 'get-request',
            choice: 'with-list',
            invokeIdAndPriority: 0xc1,
            attributeDescriptorList: [
              { cosemAttributeDescriptor: profile },
              {
                cosemAttributeDescriptor: profile,
                accessSelection: entryDescriptor({
                  fromEntry: 1,
                  toEntry: 96,
                  fromSelectedValue: 1,
                  toSelectedValue: 0,
                }),
              },
            ],
          }),
        ),
      );
      const second = entries.fields.attributeDescriptorList[1].accessSelection;
      expect(second.accessSelector).toBe('entry-descriptor (2)');
      expect(second.entryDescriptor).toEqual({
        fromEntry: 1,
        toEntry: 96,
        fromSelectedValue: 1,
        toSelectedValue: 0,
      });
      // Selectors of other attributes have no standard name: the number stays.
      const other = await json(
        toHex(
          encodeXdlmsApdu({
            type: 'get-request',
            choice: 'normal',
            invokeIdAndPriority: 0xc1,
            cosemAttributeDescriptor: {
              classId: 1,
              instanceId: Uint8Array.of(0, 0, 96, 1, 0, 255),
              attributeId: 2,
            },
            accessSelection: { accessSelector: 1, accessParameters: { type: 'null-data' } },
          }),
        ),
      );
      expect(other.fields.accessSelection.accessSelector).toBe(1);
    });

    it('an enum value written to an attribute whose class names its values', async () => {
      const set = await json(
        toHex(
          encodeXdlmsApdu({
            type: 'set-request',
            choice: 'normal',
            invokeIdAndPriority: 0xc1,
            cosemAttributeDescriptor: {
              classId: 70,
              instanceId: Uint8Array.of(0, 0, 96, 3, 10, 255),
              attributeId: 4,
            },
            value: { type: 'enum', value: 1 },
          }),
        ),
      );
      expect(set.fields.cosemAttributeDescriptor.attributeId).toBe('control_mode (4)');
      expect(set.fields.valueName).toMatch(/ \(1\)$/);
    });

    it('date-time special values, day of week and clock status', async () => {
      const note = await json(
        toHex(
          encodeXdlmsApdu({
            type: 'data-notification',
            longInvokeIdAndPriority: 1,
            dateTime: fromHex('07E8FEFD0110FFFFFF800081'),
            notificationBody: { type: 'unsigned', value: 1 },
          }),
        ),
      );
      expect(note.fields.dateTimeValue).toEqual({
        year: 2024,
        month: 'daylight_savings_begin (0xFE)',
        dayOfMonth: '2nd last day of month (0xFD)',
        dayOfWeek: 'Monday (1)',
        hour: 16,
        minute: 'not specified (255)',
        second: 'not specified (255)',
        hundredths: 'not specified (255)',
        deviation: 'not specified (0x8000)',
        clockStatus: '0x81 (invalid-value, daylight-saving-active)',
      });
    });

    it('no decoded field that the standard enumerates is left a bare number', async () => {
      // Numbers that are quantities or counters, not enumerations.
      const QUANTITIES = new Set([
        'blockNumber',
        'blockNumberAck',
        'window',
        'invocationCounter',
        'proposedDlmsVersionNumber',
        'negotiatedDlmsVersionNumber',
        'clientMaxReceivePduSize',
        'serverMaxReceivePduSize',
        'year',
        'month',
        'dayOfMonth',
        'hour',
        'minute',
        'second',
        'hundredths',
        'deviation',
        'dataIndex',
        'value',
      ]);
      const bare: string[] = [];
      const walk = (v: unknown, path: string, key: string) => {
        if (typeof v === 'number' && !QUANTITIES.has(key)) bare.push(path);
        else if (v !== null && typeof v === 'object')
          for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`, Array.isArray(v) ? key : k);
      };
      const vectors = apdu.vectors.filter((v) => !v.name.startsWith('date-time'));
      for (const v of vectors) walk(await json(v.hex), v.name, '');
      walk(await json(toHex(encodeRlre({ reason: 1 }))), 'RLRE', '');
      walk(await json('0E010601'), 'ConfirmedServiceError', '');
      expect(bare).toEqual([]);
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

  it('general-ciphering is named, not read as a glo- header', async () => {
    const r = await runHes(['dlms', 'decode', '--json', 'DD0401020304084D4D4D0000000001080000000000000000']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout).apdu;
    expect(out.apdu).toBe('general-ciphering');
    expect(out.security).toBeUndefined();
    expect(out.note).toContain('not decoded');
  });

  it('rejects hex that is not hex', async () => {
    const r = await runHes(['dlms', 'decode', 'XYZ']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('DLMS_MALFORMED');
  });
});
