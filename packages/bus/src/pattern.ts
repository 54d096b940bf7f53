import { invalidError } from './errors.ts';

/**
 * Matches dotted message types against a pattern: `*` stands for exactly one segment, `>`
 * (last only) for one or more remaining segments; other segments match literally
 * (`readings.*`, `command.>`, `>`).
 */
export function compilePattern(pattern: string): (type: string) => boolean {
  if (typeof pattern !== 'string' || pattern.length === 0) throw invalidError('pattern must be non-empty');
  const parts = pattern.split('.');
  for (const [i, p] of parts.entries()) {
    if (p.length === 0) throw invalidError(`pattern ${pattern} has an empty segment`);
    if (p === '>' && i !== parts.length - 1) throw invalidError(`pattern ${pattern}: '>' must come last`);
    if (p !== '>' && p !== '*' && (p.includes('*') || p.includes('>'))) {
      throw invalidError(`pattern ${pattern}: wildcards stand alone in a segment`);
    }
  }
  const tail = parts[parts.length - 1] === '>';
  const fixed = tail ? parts.slice(0, -1) : parts;
  return (type) => {
    const segs = type.split('.');
    if (tail ? segs.length <= fixed.length : segs.length !== fixed.length) return false;
    for (let i = 0; i < fixed.length; i++) {
      const p = fixed[i]!;
      if (p !== '*' && p !== segs[i]) return false;
    }
    return true;
  };
}
