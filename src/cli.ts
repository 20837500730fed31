#!/usr/bin/env node
/**
 * `tsdis [configfile] [--name value ...]`: starts a server the way
 * redis-server does (redis.conf syntax, the same flags).
 */
import { Server } from './server/server.js';
import { TSDIS_VERSION, REDIS_VERSION } from './version.js';

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--version') || argv.includes('-v')) {
    process.stdout.write(`tsdis v=${TSDIS_VERSION} (Redis ${REDIS_VERSION} compatible) node=${process.version}\n`);
    return;
  }
  const config: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      config[a.slice(2)] = argv[i + 1] ?? '';
      i++;
    }
  }
  const server = new Server({ config });
  await server.listen();
  server.log.notice(`Ready to accept connections tcp`);
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
