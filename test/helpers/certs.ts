/**
 * Test certificates made with openssl in a temp dir (as Redis's
 * utils/gen-test-certs.sh makes its own): two CAs (`ca`, `otherca`) and,
 * each with its .key and .crt:
 *   server   CN Server-only, signed by ca, nsCertType server
 *   server2  CN Server-two, signed by ca, nsCertType server
 *   client   CN Client-only, signed by ca, nsCertType client
 *   rogue    CN Rogue-client, signed by otherca, nsCertType client
 *   node     CN Generic-cert, signed by ca, no extension: good as a server
 *            and as a client certificate (what a cluster bus or a replica
 *            link presents on both sides, Redis's redis.crt)
 * plus server.key.enc (server.key under passphrase 1234) and openssl.cnf.
 * Used by test/protocol/tls.test.ts and test/cluster/tls.test.ts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0;
export const SKIP_NO_OPENSSL = 'SKIPPED: openssl is not installed (it makes the test certificates)';

/** A directory of test certificates; `f(name)` is a file in it, `remove()` deletes it. */
export interface TestCerts {
  dir: string;
  f(name: string): string;
  remove(): void;
}

/** Makes the certificates listed above in a new temp dir; throws with openssl's output when it fails. */
export function makeTestCerts(): TestCerts {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-tls-'));
  const openssl = (args: string[]): void => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'latin1' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  const makeCert = (name: string, cn: string, ca: string, ext: string | null): void => {
    openssl(['genrsa', '-out', `${name}.key`, '2048']);
    openssl([
      'req',
      '-new',
      '-sha256',
      '-subj',
      `/O=Redis Test/CN=${cn}`,
      '-key',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    ]);
    openssl([
      'x509',
      '-req',
      '-sha256',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-days',
      '365',
      ...(ext === null ? [] : ['-extfile', 'openssl.cnf', '-extensions', ext]),
      '-out',
      `${name}.crt`,
    ]);
  };
  for (const ca of ['ca', 'otherca']) {
    openssl(['genrsa', '-out', `${ca}.key`, '2048']);
    openssl(
      ['req', '-x509', '-new', '-nodes', '-sha256', '-key', `${ca}.key`, '-days', '3650'].concat([
        '-subj',
        `/O=Redis Test/CN=${ca}`,
        '-out',
        `${ca}.crt`,
      ]),
    );
  }
  fs.writeFileSync(
    path.join(dir, 'openssl.cnf'),
    '[ server_cert ]\nkeyUsage = digitalSignature, keyEncipherment\nnsCertType = server\n' +
      '[ client_cert ]\nkeyUsage = digitalSignature, keyEncipherment\nnsCertType = client\n',
  );
  makeCert('server', 'Server-only', 'ca', 'server_cert');
  makeCert('server2', 'Server-two', 'ca', 'server_cert');
  makeCert('client', 'Client-only', 'ca', 'client_cert');
  makeCert('rogue', 'Rogue-client', 'otherca', 'client_cert');
  makeCert('node', 'Generic-cert', 'ca', null);
  openssl(['rsa', '-in', 'server.key', '-out', 'server.key.enc', '-aes256', '-passout', 'pass:1234']);
  return {
    dir,
    f: (name) => path.join(dir, name),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
