/**
 * TLS settings: the tls-* parameters turned into node:tls options, checked
 * the way Redis's tlsConfigure checks them, with its log lines.
 *
 * Redis builds one server context (and a client context when
 * tls-client-cert-file and tls-client-key-file are set) whenever TLS is
 * enabled (tls-port, tls-replication or tls-cluster) and a tls-* parameter
 * changes; a failure leaves the previous context in place. Here the same
 * checks run in the same order, each failure logging Redis's line (the
 * OpenSSL error text comes from Node, which uses the same OpenSSL error
 * strings), and the result is a plain options object the listener hands to
 * tls.Server's setSecureContext (existing connections keep their session).
 *
 * What node:tls cannot do as OpenSSL's own API does, and how it is done
 * instead:
 * - tls-ca-cert-dir: OpenSSL looks certificates up lazily by hashed name;
 *   here every file of the directory that holds PEM certificates is read at
 *   configure time (a certificate added later needs a CONFIG SET).
 * - tls-protocols with a hole (TLSv1 TLSv1.3): min/max version plus
 *   SSL_OP_NO_* flags for the versions between.
 * - tls-session-cache-size: OpenSSL's internal cache is off in Node; the
 *   session-ID cache is TlsSessionCache, fed by tls.Server's newSession /
 *   resumeSession events. Session tickets work as in Redis (OpenSSL's).
 * - A bad tls-dh-params-file or tls-ca-cert-file is checked here (node:tls
 *   would silently ignore one).
 *
 * Called by the listener (server/listener.ts) at start and on CONFIG SET.
 */
import { Buffer } from 'node:buffer';
import net from 'node:net';
import tls from 'node:tls';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { TsdisError } from '../protocol/errors.js';
import { strerror } from '../config/file.js';

/** tls-auth-clients. */
export type TlsAuthClients = 'no' | 'yes' | 'optional';

/** What a successful configuration produced. */
export interface TlsContexts {
  /** Options for tls.createServer / setSecureContext (no requestCert: see authOptions). */
  server: tls.SecureContextOptions;
  /**
   * Options for outbound connections (replication and cluster links, later):
   * the client certificate when tls-client-cert-file/-key-file are set, else
   * the server's (Redis uses tls-cert-file as the client certificate then),
   * and the CA to verify the peer.
   */
  client: tls.ConnectionOptions;
}

/** The error a failed configuration throws (its reason is logged already). */
export class TlsConfigError extends TsdisError {
  constructor(reason: string) {
    super('ETLSCONFIG', reason);
  }
}

/** The parameters read here, as the config stores them (strings, booleans, numbers). */
export type TlsParams = Record<string, unknown>;

/** Whether TLS must be configured: a TLS port, or TLS for replication or cluster links (Redis's condition). */
export function tlsEnabled(v: TlsParams): boolean {
  return Number(v['tls-port']) !== 0 || v['tls-replication'] === true || v['tls-cluster'] === true;
}

/** Redis's tls-* parameters whose change reconfigures TLS (its applyTlsCfg; tls-port and tls-auth-clients apart). */
export const TLS_CONTEXT_PARAMS = new Set([
  'tls-cert-file',
  'tls-key-file',
  'tls-key-file-pass',
  'tls-client-cert-file',
  'tls-client-key-file',
  'tls-client-key-file-pass',
  'tls-dh-params-file',
  'tls-ca-cert-file',
  'tls-ca-cert-dir',
  'tls-protocols',
  'tls-ciphers',
  'tls-ciphersuites',
  'tls-prefer-server-ciphers',
  'tls-session-caching',
  'tls-session-cache-size',
  'tls-session-cache-timeout',
  'tls-replication',
  'tls-cluster',
]);

/**
 * Builds the server and client TLS options from the tls-* parameters, with
 * Redis's checks in its order. On failure logs Redis's line through `warn`
 * and throws TlsConfigError; nothing else changes. Reads the files named.
 */
export function configureTls(v: TlsParams, warn: (line: string) => void): TlsContexts {
  const fail = (line: string): never => {
    warn(line);
    throw new TlsConfigError(line);
  };
  const str = (name: string) => String(v[name] ?? '');
  const certFile = str('tls-cert-file');
  const keyFile = str('tls-key-file');
  if (certFile === '') fail('No tls-cert-file configured!');
  if (keyFile === '') fail('No tls-key-file configured!');
  const caFile = str('tls-ca-cert-file');
  const caDir = str('tls-ca-cert-dir');
  const auth = str('tls-auth-clients') as TlsAuthClients;
  if ((auth !== 'no' || v['tls-cluster'] === true || v['tls-replication'] === true) && caFile === '' && caDir === '') {
    fail(
      'Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!',
    );
  }
  const versions = parseProtocols(str('tls-protocols'));
  if (versions === null) {
    fail("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.");
  }
  const base = { ...versions!, ...cipherOptions(str('tls-ciphers'), str('tls-ciphersuites'), fail) };
  const server = certAndKey(certFile, keyFile, str('tls-key-file-pass'), base, fail);
  const ca = loadCa(caFile, caDir, fail);
  if (ca !== null) server.ca = ca;
  server.honorCipherOrder = v['tls-prefer-server-ciphers'] === true;
  // (Redis's session id context; a session resumed under another context is refused)
  server.sessionIdContext = 'redis';
  if (v['tls-session-caching'] === true) server.sessionTimeout = Number(v['tls-session-cache-timeout']);
  server.dhparam = loadDhParams(str('tls-dh-params-file'), fail);

  const clientCert = str('tls-client-cert-file');
  const clientKey = str('tls-client-key-file');
  let client: tls.ConnectionOptions;
  if (clientCert !== '' && clientKey !== '') {
    client = certAndKey(clientCert, clientKey, str('tls-client-key-file-pass'), base, fail);
  } else {
    client = { ...base, cert: server.cert, key: server.key };
    if (server.passphrase !== undefined) client.passphrase = server.passphrase;
  }
  if (ca !== null) client.ca = ca;
  return { server, client };
}

/**
 * Opens an outbound link (a replica's to its primary; a cluster node's to
 * another), over TLS with the client options `tlsOpts` unless null (tls-replication,
 * tls-cluster). The peer's certificate must chain to the CA, but its name is
 * not checked, as in Redis. `source` (bind-source-addr; '' for none) is the
 * local address the link is bound to. `ready` runs once the link can carry
 * data: after the TCP connect, or after the TLS handshake.
 */
export function connectOut(
  host: string,
  port: number,
  tlsOpts: tls.ConnectionOptions | null,
  source: string,
  ready: () => void,
): net.Socket {
  const bind = source === '' ? {} : { localAddress: source };
  if (tlsOpts === null) {
    const sock = net.connect({ host, port, ...bind });
    sock.once('connect', ready);
    return sock;
  }
  const sock = tls.connect({ ...tlsOpts, ...bind, host, port, checkServerIdentity: () => undefined });
  sock.once('secureConnect', ready);
  return sock;
}

/** tls-auth-clients as tls.Server's requestCert / rejectUnauthorized (optional: checked after the handshake). */
export function authOptions(auth: TlsAuthClients): { requestCert: boolean; rejectUnauthorized: boolean } {
  return { requestCert: auth !== 'no', rejectUnauthorized: auth === 'yes' };
}

const VERSION_NAMES = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
type TlsVersion = (typeof VERSION_NAMES)[number];
/** The SSL_OP_NO_* flag of each version, for a hole between min and max. */
const NO_VERSION_FLAG: Record<TlsVersion, number> = {
  TLSv1: crypto.constants.SSL_OP_NO_TLSv1,
  'TLSv1.1': crypto.constants.SSL_OP_NO_TLSv1_1,
  'TLSv1.2': crypto.constants.SSL_OP_NO_TLSv1_2,
  'TLSv1.3': crypto.constants.SSL_OP_NO_TLSv1_3,
};

/**
 * tls-protocols: words separated by single spaces, each a protocol name
 * (case-insensitive); empty means TLSv1.2 and TLSv1.3 (Redis's default).
 * Returns min/max versions and flags for any version between them left
 * out, or null when a word is not a protocol name.
 */
function parseProtocols(
  text: string,
): Pick<tls.SecureContextOptions, 'minVersion' | 'maxVersion' | 'secureOptions'> | null {
  const on = new Set<TlsVersion>();
  if (text === '') {
    on.add('TLSv1.2');
    on.add('TLSv1.3');
  } else {
    // (as Redis's split on one space: two spaces make an empty, invalid word)
    for (const word of text.split(' ')) {
      const v = VERSION_NAMES.find((n) => n.toLowerCase() === word.toLowerCase());
      if (v === undefined) return null;
      on.add(v);
    }
  }
  const enabled = VERSION_NAMES.filter((n) => on.has(n));
  const min = enabled[0]!;
  const max = enabled[enabled.length - 1]!;
  let secureOptions = 0;
  for (let i = VERSION_NAMES.indexOf(min); i <= VERSION_NAMES.indexOf(max); i++) {
    if (!on.has(VERSION_NAMES[i]!)) secureOptions |= NO_VERSION_FLAG[VERSION_NAMES[i]!];
  }
  return { minVersion: min, maxVersion: max, ...(secureOptions !== 0 ? { secureOptions } : {}) };
}

/**
 * tls-ciphers (TLSv1.2 and below) and tls-ciphersuites (TLSv1.3) as node's
 * one `ciphers` string (its TLS_ names are the 1.3 suites). Each is tried on
 * its own first, for Redis's line naming the one OpenSSL refused. Empty
 * values keep Node's defaults.
 */
function cipherOptions(
  ciphers: string,
  suites: string,
  fail: (line: string) => never,
): Pick<tls.SecureContextOptions, 'ciphers'> {
  if (ciphers !== '') {
    // (a TLS_ name would be taken as a 1.3 suite: not a cipher of this list)
    if (ciphers.split(':').some((c) => c.startsWith('TLS_'))) fail(`Failed to configure ciphers: ${ciphers}`);
    try {
      tls.createSecureContext({ ciphers });
    } catch {
      fail(`Failed to configure ciphers: ${ciphers}`);
    }
  }
  if (suites !== '') {
    const names = suites.split(':');
    if (names.some((s) => !s.startsWith('TLS_'))) fail(`Failed to configure ciphersuites: ${suites}`);
    try {
      tls.createSecureContext({ ciphers: `${suites}:${ciphers || tls.DEFAULT_CIPHERS}` });
    } catch {
      fail(`Failed to configure ciphersuites: ${suites}`);
    }
  }
  if (ciphers === '' && suites === '') return {};
  // Node's default list holds its default 1.3 suites first: keep them unless tls-ciphersuites replaces them
  const defaults = tls.DEFAULT_CIPHERS.split(':');
  const list = ciphers !== '' ? ciphers : defaults.filter((c) => !c.startsWith('TLS_')).join(':');
  const suiteList = suites !== '' ? suites : defaults.filter((c) => c.startsWith('TLS_')).join(':');
  return { ciphers: suiteList === '' ? list : `${suiteList}:${list}` };
}

/**
 * Reads a certificate chain and its key (with its passphrase) into options
 * built on `base`, checking each as OpenSSL loads them: the certificate
 * first ("Failed to load certificate: file: reason"), then the key against
 * it ("Failed to load private key: ...").
 */
function certAndKey(
  certFile: string,
  keyFile: string,
  pass: string,
  base: tls.SecureContextOptions,
  fail: (line: string) => never,
): tls.SecureContextOptions {
  let cert: Buffer;
  try {
    cert = fs.readFileSync(certFile);
    tls.createSecureContext({ cert });
  } catch (e) {
    return fail(`Failed to load certificate: ${certFile}: ${opensslText(e)}`);
  }
  const opts: tls.SecureContextOptions = { ...base, cert };
  try {
    opts.key = fs.readFileSync(keyFile);
    if (pass !== '') opts.passphrase = pass;
    tls.createSecureContext(opts);
  } catch (e) {
    return fail(`Failed to load private key: ${keyFile}: ${opensslText(e)}`);
  }
  return opts;
}

/** The PEM certificates in a text, each a separate string. */
function pemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

/**
 * tls-ca-cert-file and tls-ca-cert-dir as one list of PEM certificates, or
 * null when neither is set. A file that cannot be read or holds no valid
 * certificate fails as OpenSSL's load_verify_locations does; in the
 * directory, files that hold none are skipped (OpenSSL would never look
 * them up).
 */
function loadCa(file: string, dir: string, fail: (line: string) => never): string[] | null {
  if (file === '' && dir === '') return null;
  const prefix = 'Failed to configure CA certificate(s) file/directory: ';
  const out: string[] = [];
  const parse = (pems: string[]): string[] =>
    pems.filter((p) => {
      try {
        new crypto.X509Certificate(p);
        return true;
      } catch {
        return false;
      }
    });
  if (file !== '') {
    let text: string;
    try {
      text = fs.readFileSync(file, 'latin1');
    } catch (e) {
      return fail(prefix + systemError(e));
    }
    const certs = parse(pemCertificates(text));
    if (certs.length === 0) fail(prefix + 'error:05800088:x509 certificate routines::no certificate or crl found');
    out.push(...certs);
  }
  if (dir !== '') {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      // (OpenSSL only adds the directory to its lookup path: a missing one is no error)
    }
    for (const name of names.sort()) {
      try {
        out.push(...parse(pemCertificates(fs.readFileSync(path.join(dir, name), 'latin1'))));
      } catch {
        /* not a readable file */
      }
    }
  }
  return out;
}

/**
 * tls-dh-params-file: its PEM DH parameters, checked (node:tls would drop
 * bad ones silently); 'auto' (OpenSSL's built-in groups, Redis's default
 * with OpenSSL 3) when unset.
 */
function loadDhParams(file: string, fail: (line: string) => never): string | Buffer {
  if (file === '') return 'auto';
  let text: string;
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch (e) {
    return fail(`Failed to load ${file}: ${strerror(e)}`);
  }
  const m = /-----BEGIN DH PARAMETERS-----([\s\S]*?)-----END DH PARAMETERS-----/.exec(text);
  if (m === null || !isDhParamsDer(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'))) {
    return fail(`${file}: failed to read DH params.`);
  }
  return m[0];
}

/** Whether DER bytes are a SEQUENCE of two or three INTEGERs (PKCS#3 DHParameter: p, g, optional length). */
function isDhParamsDer(der: Buffer): boolean {
  let pos = 0;
  const readLen = (): number => {
    const first = der[pos++];
    if (first === undefined) return -1;
    if (first < 0x80) return first;
    const n = first & 0x7f;
    if (n === 0 || n > 4) return -1;
    let len = 0;
    for (let i = 0; i < n; i++) {
      const b = der[pos++];
      if (b === undefined) return -1;
      len = len * 256 + b;
    }
    return len;
  };
  if (der[pos++] !== 0x30) return false;
  const seqLen = readLen();
  if (seqLen < 0 || pos + seqLen !== der.length) return false;
  let ints = 0;
  while (pos < der.length) {
    if (der[pos++] !== 0x02) return false;
    const len = readLen();
    if (len <= 0 || pos + len > der.length) return false;
    pos += len;
    ints++;
  }
  return ints === 2 || ints === 3;
}

/**
 * An error as OpenSSL's ERR_error_string_n prints it: Node's OpenSSL
 * errors already carry that text (possibly with a location added, which
 * is cut); a file-system error gets OpenSSL 3's system-library form.
 */
export function opensslText(e: unknown): string {
  if (typeof (e as NodeJS.ErrnoException).errno === 'number' && (e as NodeJS.ErrnoException).syscall !== undefined) {
    return systemError(e);
  }
  const msg = (e as Error).message ?? String(e);
  // "<thread>:error:0A0000C7:SSL routines:func:reason:file:line:" -> "error:0A0000C7:SSL routines::reason"
  const m = /error:([0-9A-F]{8}):([^:]*):[^:]*:([^:\n]*)/.exec(msg);
  if (m !== null) return `error:${m[1]}:${m[2]}::${m[3]}`;
  return msg;
}

/** A file-system error in OpenSSL 3's form: error:800000NN:system library::<strerror>. */
function systemError(e: unknown): string {
  const errno = Math.abs((e as NodeJS.ErrnoException).errno ?? 0);
  const code = (0x80000000 | errno) >>> 0;
  return `error:${code.toString(16).toUpperCase().padStart(8, '0')}:system library::${strerror(e)}`;
}

/**
 * The session-ID cache (tls-session-caching, -cache-size, -cache-timeout):
 * sessions by ID, oldest dropped beyond `size` (0: no bound, as OpenSSL's),
 * expired after `timeoutMs`. One per server; fed by every TLS listener.
 */
export class TlsSessionCache {
  private readonly sessions = new Map<string, { data: Buffer; at: number }>();
  size = 20480;
  timeoutMs = 300_000;

  constructor(private readonly now: () => number) {}

  /** tls.Server 'newSession'. */
  store(id: Buffer, data: Buffer): void {
    const key = id.toString('hex');
    this.sessions.delete(key);
    this.sessions.set(key, { data, at: this.now() });
    if (this.size > 0) {
      while (this.sessions.size > this.size) {
        const oldest = this.sessions.keys().next();
        if (oldest.done === true) break;
        this.sessions.delete(oldest.value);
      }
    }
  }

  /** tls.Server 'resumeSession': the session, or null when unknown or expired. */
  lookup(id: Buffer): Buffer | null {
    const key = id.toString('hex');
    const s = this.sessions.get(key);
    if (s === undefined) return null;
    if (this.now() - s.at >= this.timeoutMs) {
      this.sessions.delete(key);
      return null;
    }
    return s.data;
  }

  /** Drops every session (the context changed: they were made under another certificate). */
  clear(): void {
    this.sessions.clear();
  }
}
