import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProfileInvalidError } from '../errors.ts';
import { resolveProfiles } from '../profile/resolve.ts';
import type { DeviceProfile, ProfileFile } from '../profile/schema.ts';

/**
 * The profiles shipped with this package (packages/cosem/profiles), found by resolving the
 * package itself so that it also holds from a bundle (apps/hes/dist) that inlines this code.
 */
export function defaultProfilesDirectory(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@openhes/cosem')), '..', 'profiles');
  } catch {
    return fileURLToPath(new URL('../../profiles/', import.meta.url));
  }
}

/** Every `*.json` file of a directory, parsed, in name order. */
export function readProfileFiles(dir: string = defaultProfilesDirectory()): ProfileFile[] {
  const files: ProfileFile[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.json')) continue;
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(join(dir, name), 'utf8'));
    } catch (e) {
      throw new ProfileInvalidError(name, '(file)', `${name} is not JSON: ${(e as Error).message}`, {
        cause: e,
      });
    }
    if (typeof json !== 'object' || json === null || typeof (json as ProfileFile).id !== 'string')
      throw new ProfileInvalidError(name, 'id', `${name} has no profile id`);
    files.push(json as ProfileFile);
  }
  return files;
}

/** Every concrete profile of a directory, resolved and validated (see resolveProfiles). */
export function loadDeviceProfiles(dir: string = defaultProfilesDirectory()): Map<string, DeviceProfile> {
  return resolveProfiles(readProfileFiles(dir));
}
