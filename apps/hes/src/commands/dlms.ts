import { DlmsError, fromHex } from '@openhes/dlms';
import type { Command } from 'commander';
import { annotate } from '../inspect/annotate.ts';
import { type InspectKeys, inspect } from '../inspect/decode.ts';
import { renderText, toJsonTree } from '../inspect/present.ts';
import { ExitCode, type Io } from '../io.ts';

interface DecodeOptions {
  json?: boolean;
  ek?: string;
  ak?: string;
  systemTitle?: string;
  dedicatedKey?: string;
}

function keyOption(name: string, hex: string | undefined, length: number): Uint8Array | undefined {
  if (hex === undefined) return undefined;
  const bytes = fromHex(hex);
  if (bytes.length !== length)
    throw new Error(`${name} must be ${length} bytes (${length * 2} hex digits), got ${bytes.length}`);
  return bytes;
}

function describeError(e: unknown): string {
  if (e instanceof DlmsError) return `${e.code}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

/** Decodes one PDU (hex) to text or JSON; returns the output and whether it failed. */
export function decodeLine(hex: string, keys: InspectKeys, json: boolean): { text: string; ok: boolean } {
  try {
    const result = annotate(inspect(fromHex(hex), keys));
    return { text: json ? JSON.stringify(toJsonTree(result)) : renderText(result), ok: true };
  } catch (e) {
    const message = describeError(e);
    const text = json
      ? JSON.stringify({
          error:
            e instanceof DlmsError ? { code: e.code, offset: e.offset, message: e.message } : { message },
        })
      : `error: ${message}`;
    return { text, ok: false };
  }
}

export function registerDlmsCommands(program: Command, io: Io): void {
  const dlms = program.command('dlms').description('DLMS/COSEM protocol tools');
  dlms
    .command('decode')
    .description(
      'decode a bare APDU, a wrapper PDU (IEC 62056-47) or an HDLC frame given as hex; ' +
        'without arguments reads one PDU per line from stdin',
    )
    .argument('[hex...]', 'the PDU as hex (spaces allowed)')
    .option('--json', 'print JSON instead of text')
    .option('--ek <hex>', 'encryption key (global unicast), 16 bytes hex')
    .option('--ak <hex>', 'authentication key, 16 bytes hex')
    .option(
      '--system-title <hex>',
      "sender's system title for glo-/ded- APDUs, 8 bytes hex (not needed for an AARQ/AARE: " +
        'their calling/responding AP title is used)',
    )
    .option('--dedicated-key <hex>', 'dedicated key for ded- APDUs, 16 bytes hex')
    .action(async (hexParts: string[], opts: DecodeOptions) => {
      const keys: InspectKeys = {
        ek: keyOption('--ek', opts.ek, 16),
        ak: keyOption('--ak', opts.ak, 16),
        systemTitle: keyOption('--system-title', opts.systemTitle, 8),
        dedicatedKey: keyOption('--dedicated-key', opts.dedicatedKey, 16),
      };
      const lines =
        hexParts.length > 0
          ? [hexParts.join('')]
          : (await io.readStdin())
              .split(/\r?\n/)
              .map((l) => l.trim())
              .filter((l) => l.length > 0 && !l.startsWith('#'));
      if (lines.length === 0) {
        io.err('hes dlms decode: no input (give hex as an argument or on stdin)');
        throw new ExitCode(2);
      }
      let failed = 0;
      for (const line of lines) {
        const { text, ok } = decodeLine(line, keys, opts.json === true);
        if (ok) io.out(text);
        else {
          failed++;
          (opts.json ? io.out : io.err)(text);
        }
        if (!opts.json && lines.length > 1) io.out('');
      }
      if (failed > 0) throw new ExitCode(1);
    });
}
