/**
 * Small helpers every HTTP route uses to answer (src/http/): a short plain
 * text reply with the headers tsdis always sends. No CORS header is ever
 * sent; every response says `X-Content-Type-Options: nosniff` (set by the
 * listener before a route runs, and by these helpers for the replies the
 * listener writes on a raw socket).
 */
import { Buffer } from 'node:buffer';
import type http from 'node:http';

/** The headers of every HTTP response of tsdis. */
export const BASE_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

/** The status texts of the replies the listener writes itself (RFC 9110). */
export const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Content Too Large',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
};

/**
 * Answers `status` with `text` (a line is added) as text/plain, plus
 * `headers`. With `close`, the connection ends after the reply (a request
 * whose body was not read, a refusal). Nothing is written once headers were
 * sent (the connection is then destroyed).
 */
export function sendText(
  res: http.ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
  close = false,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = Buffer.from(text.endsWith('\n') ? text : `${text}\n`, 'utf8');
  res.writeHead(status, {
    ...BASE_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(body.length),
    ...headers,
    ...(close ? { Connection: 'close' } : {}),
  });
  res.end(body);
}

/**
 * A whole HTTP/1.1 response as bytes, for the replies written on a socket
 * that has no ServerResponse (a request the parser refused: 400, 408, 431),
 * closing the connection.
 */
export function rawResponse(status: number, text: string): string {
  const body = `${text}\n`;
  let head = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? ''}\r\n`;
  for (const [k, v] of Object.entries(BASE_HEADERS)) head += `${k}: ${v}\r\n`;
  head += `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
  return head + body;
}
