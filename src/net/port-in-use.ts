import net from 'node:net';

/** A port learnloop was told to listen on is taken; the message names the variable that moves it. */
export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(what: string, host: string, port: number, variable: string, hint = '') {
    super(`${what} port ${host}:${port} is already in use: set ${variable} to a free port${hint}`);
  }
}

/** Resolves when nothing listens on host:port (by briefly listening there), else rejects with PortInUseError. */
export function assertPortFree(what: string, host: string, port: number, variable: string, hint?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(what, host, port, variable, hint) : err);
    });
    probe.listen({ host, port, exclusive: true }, () =>
      probe.close(() => {
        resolve();
      }),
    );
  });
}
