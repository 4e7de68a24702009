// The shape of one `glasshouse <command>`: parsed argv in, exit code out, all I/O through CliIo.

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Resolves when the user asks to stop (Ctrl-C / SIGTERM). */
  interrupted: Promise<void>;
}

export interface CliCommand {
  name: string;
  /** One line for `glasshouse --help`. */
  summary: string;
  /** Full usage text for `glasshouse <name> --help`. */
  usage: string;
  run(argv: string[], io: CliIo): Promise<number>;
}
