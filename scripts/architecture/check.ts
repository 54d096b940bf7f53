// npm run check:imports — prints what the package map forbids; exit code 1 when anything is.
import { fileURLToPath } from 'node:url';
import { checkImports, formatViolations } from './imports.ts';
import { fsTree } from './tree.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const result = checkImports(fsTree(root));
if (result.excused.length > 0) {
  console.log(
    `known exceptions (ALLOWED in scripts/architecture/rules.ts):\n${formatViolations(result.excused)}\n`,
  );
}
if (result.violations.length > 0) {
  console.log(`import rules broken:\n${formatViolations(result.violations)}`);
  process.exitCode = 1;
} else {
  console.log(`import rules hold: ${result.packages.length} packages, ${result.files} files`);
}
