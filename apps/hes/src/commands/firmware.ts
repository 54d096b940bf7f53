import { readFileSync, statSync } from 'node:fs';
import { type FirmwareImage, MAX_FIRMWARE_IMAGE_BYTES } from '@openhes/core';
import type { Command } from 'commander';
import type { Io } from '../io.ts';
import {
  type ControlCliOptions,
  cliActor,
  controlOptions,
  iso,
  pages,
  positiveId,
  print,
  runControl,
  UsageError,
  usageExits,
} from './command.ts';

interface UploadOptions extends ControlCliOptions {
  identifier: string;
  version: string;
  profiles?: string;
  sha256?: string;
}

const imageLine = (i: FirmwareImage): string =>
  [
    `#${i.id}`,
    i.identifier,
    `version ${i.version}`,
    `${i.size} bytes`,
    `sha256 ${i.sha256}`,
    i.deviceProfiles.length === 0 ? 'any profile' : `profiles ${i.deviceProfiles.join(',')}`,
    `by ${i.uploadedBy} ${iso(i.uploadedAt)}`,
  ].join('  ');

/** `hes firmware …`: the firmware images campaigns send (stored with their SHA-256). */
export function registerFirmwareCommands(program: Command, io: Io): void {
  const group = usageExits(
    program.command('firmware').description('firmware images for firmware-update commands and campaigns'),
  );

  controlOptions(
    group
      .command('upload')
      .description('store a firmware image (checked for size and, with --sha256, its hash)')
      .argument('<file>', 'the image file')
      .requiredOption('--identifier <id>', 'image_identifier sent to the meter (printable, at most 64 bytes)')
      .requiredOption(
        '--version <version>',
        'the firmware identifier the meter reports once the image is active',
      )
      .option('--profiles <list>', 'device profiles the image is for, comma-separated (default: any)')
      .option('--sha256 <hex>', 'expected SHA-256 of the file; refused when it differs'),
    true,
    false,
  ).action((file: string, o: UploadOptions) => {
    // Here --profiles names the device profiles the image is for, not a profile directory.
    const { profiles: _forImage, ...store } = o;
    return runControl(io, store, async (ctx, control) => {
      let size: number;
      try {
        size = statSync(file).size;
      } catch (e) {
        throw new UsageError(`cannot read ${file} (${(e as Error).message})`);
      }
      if (size > MAX_FIRMWARE_IMAGE_BYTES)
        throw Object.assign(
          new Error(
            `${file}: ${size} bytes is over the image size limit of ${MAX_FIRMWARE_IMAGE_BYTES} bytes`,
          ),
          { code: 'CONTROL_INVALID' },
        );
      const bytes = new Uint8Array(readFileSync(file));
      const deviceProfiles = (o.profiles ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      const actor = await cliActor(ctx, o.as);
      const image = await control().uploadImage(
        {
          identifier: o.identifier,
          version: o.version,
          deviceProfiles,
          ...(o.sha256 === undefined ? {} : { sha256: o.sha256.toLowerCase() }),
        },
        bytes,
        actor,
      );
      print(io, o, image, () => [`firmware image ${image.id}: ${imageLine(image)}`]);
    });
  });

  controlOptions(
    group.command('list').description('stored firmware images').option('--limit <n>', 'at most this many'),
    false,
  ).action((o: ControlCliOptions & { limit?: string }) =>
    runControl(io, o, async (ctx) => {
      const limit = o.limit === undefined ? undefined : positiveId('--limit', o.limit);
      const items = await pages((cursor, l) => ctx.store.firmware.list({ cursor, limit: l }), limit);
      print(io, o, items, () => (items.length === 0 ? ['no firmware images'] : items.map(imageLine)));
    }),
  );
}
