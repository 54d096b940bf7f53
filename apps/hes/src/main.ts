import { Command, CommanderError } from 'commander';
import { registerMeterDataCommands } from './commands/bill.ts';
import { registerCampaignCommands } from './commands/campaign.ts';
import { registerCollectCommand } from './commands/collect.ts';
import { registerCommandCommands } from './commands/command.ts';
import { registerDlmsCommands } from './commands/dlms.ts';
import { registerFirmwareCommands } from './commands/firmware.ts';
import { registerMetersCommands } from './commands/meters.ts';
import { registerReadCommand } from './commands/read.ts';
import { registerReadMeterCommand } from './commands/read-meter.ts';
import { registerSimulateCommand } from './commands/simulate.ts';
import { registerStartCommand } from './commands/start.ts';
import { registerUsersCommands } from './commands/users.ts';
import { ExitCode, type Io, processIo } from './io.ts';

// For command modules that still import these from here; new code imports './io.ts'.
export { ExitCode, type Io, processIo } from './io.ts';

export function buildProgram(io: Io): Command {
  const program = new Command('hes')
    .description('OpenHES head-end system: read, command and manage smart meters (DLMS/COSEM)')
    .version('0.1.0')
    // `hes --version` before any command; after one, `--version` is that command's option (hes firmware upload).
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  registerDlmsCommands(program, io);
  registerReadCommand(program, io);
  registerMetersCommands(program, io);
  registerReadMeterCommand(program, io);
  registerCollectCommand(program, io);
  registerSimulateCommand(program, io);
  registerStartCommand(program, io);
  registerCommandCommands(program, io);
  registerCampaignCommands(program, io);
  registerFirmwareCommands(program, io);
  registerUsersCommands(program, io);
  registerMeterDataCommands(program, io);
  return program;
}

/** Runs the CLI and returns the process exit status (never calls process.exit). */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof ExitCode) return e.status;
    if (e instanceof CommanderError) return e.exitCode;
    io.err(`hes: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
