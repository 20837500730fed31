/**
 * LOLWUT [VERSION v] [args...]: Redis's generative art. Redis 7.2 itself
 * prints only its version; VERSION 5 draws Georg Nees's "Schotter" (squares
 * that tilt and drift more row after row) in Braille characters, VERSION 6 a
 * city skyline in ANSI-coloured blocks. Both are random (server.random here,
 * rand() in Redis), so only their size, layout and captions are fixed; those
 * follow Redis's rules exactly (same clamps, same float arithmetic).
 */
import { command, type CommandSpec, type Ctx } from './spec.js';
import { argInt, is } from './args.js';
import { REDIS_VERSION } from '../version.js';

/** C's float arithmetic (Redis computes the layout in `float`). */
const f = Math.fround;
/** C's round(): halves away from zero. */
const cround = (x: number) => (x < 0 ? -Math.round(-x) : Math.round(x));

/** A canvas of small colour indexes, drawn on by the art below. */
class Canvas {
  readonly pixels: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
    background: number,
  ) {
    this.pixels = new Uint8Array(width * height).fill(background);
  }
  set(x: number, y: number, color: number): void {
    if (x >= 0 && x < this.width && y >= 0 && y < this.height) this.pixels[x + y * this.width] = color;
  }
  get(x: number, y: number): number {
    return x >= 0 && x < this.width && y >= 0 && y < this.height ? this.pixels[x + y * this.width]! : 0;
  }
  /** Bresenham's line from (x1,y1) to (x2,y2), both ends included. */
  line(x1: number, y1: number, x2: number, y2: number, color: number): void {
    const dx = Math.abs(x2 - x1);
    const dy = Math.abs(y2 - y1);
    const sx = x1 < x2 ? 1 : -1;
    const sy = y1 < y2 ? 1 : -1;
    let err = dx - dy;
    for (;;) {
      this.set(x1, y1, color);
      if (x1 === x2 && y1 === y2) return;
      const e2 = err * 2;
      if (e2 > -dy) {
        err -= dy;
        x1 += sx;
      }
      if (e2 < dx) {
        err += dx;
        y1 += sy;
      }
    }
  }
  /** The outline of a square of side `size` centred on (x,y), turned by `angle` radians. */
  square(x: number, y: number, size: number, angle: number, color: number): void {
    // the corners lie on a circle: a side of `size` needs a radius of size / sqrt(2)
    const r = cround(f(size / 1.4142135623));
    const xs: number[] = [];
    const ys: number[] = [];
    let k = f(Math.PI / 4 + angle);
    for (let j = 0; j < 4; j++) {
      xs.push(cround(Math.sin(k) * r + x));
      ys.push(cround(Math.cos(k) * r + y));
      k = f(k + Math.PI / 2);
    }
    for (let j = 0; j < 4; j++) this.line(xs[j]!, ys[j]!, xs[(j + 1) % 4]!, ys[(j + 1) % 4]!, color);
  }
}

/** rand() with glibc's RAND_MAX, from the server's random source. */
type Rand = () => number;
const RAND_MAX = 2147483647;

/** Schotter: `rows` rows of `perRow` squares across a canvas `cols` characters wide. */
function schotter(cols: number, perRow: number, rows: number, rand: Rand): Canvas {
  const width = cols * 2;
  const padding = width > 4 ? 2 : 0;
  const side = f((width - padding * 2) / perRow);
  const canvas = new Canvas(width, Math.trunc(f(f(side * rows) + padding * 2)), 0);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < perRow; x++) {
      let sx = Math.trunc(f(f(f(x * side) + side / 2) + padding));
      let sy = Math.trunc(f(f(f(y * side) + side / 2) + padding));
      let angle = 0;
      if (y > 1) {
        // the lower the row, the larger the random turn and shift
        const r = () => f(f(f(f(rand()) / f(RAND_MAX)) / rows) * y);
        let r1 = r();
        let r2 = r();
        let r3 = r();
        if (rand() % 2) r1 = -r1;
        if (rand() % 2) r2 = -r2;
        if (rand() % 2) r3 = -r3;
        angle = r1;
        sx = Math.trunc(f(sx + f(f(r2 * side) / 3)));
        sy = Math.trunc(f(sy + f(f(r3 * side) / 3)));
      }
      canvas.square(sx, sy, side, angle, 1);
    }
  }
  return canvas;
}

/** Each 2x4 block of pixels as one Braille character (U+2800 + dot bits), UTF-8 as latin1 bytes. */
function braille(canvas: Canvas): string {
  let out = '';
  for (let y = 0; y < canvas.height; y += 4) {
    for (let x = 0; x < canvas.width; x += 2) {
      let dots = 0;
      const at = (dx: number, dy: number, bit: number) => {
        if (canvas.get(x + dx, y + dy)) dots |= 1 << bit;
      };
      at(0, 0, 0);
      at(0, 1, 1);
      at(0, 2, 2);
      at(1, 0, 3);
      at(1, 1, 4);
      at(1, 2, 5);
      at(0, 3, 6);
      at(1, 3, 7);
      const code = 0x2800 + dots;
      out += String.fromCharCode(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    }
    if (y !== canvas.height - 1) out += '\n';
  }
  return out;
}

/** One building of the skyline, drawn from the bottom row up. */
function building(
  canvas: Canvas,
  xoff: number,
  width: number,
  height: number,
  windows: boolean,
  color: number,
  rand: Rand,
): void {
  const bottom = canvas.height - 1;
  const top = bottom - height + 1;
  for (let y = bottom; y >= top; y--) {
    for (let x = xoff; x < xoff + width; x++) {
      // the roof is narrower by two pixels on each side
      if (y === top && (x <= xoff + 1 || x >= xoff + width - 2)) continue;
      let c = color;
      const inner = x > xoff + 1 && x < xoff + width - 2 && y > top + 1 && y < bottom - 1;
      if (windows && inner) {
        const relx = x - (xoff + 1);
        const rely = y - (top + 1);
        // windows two pixels wide and one tall, in a lighter random grey
        if (Math.trunc(relx / 2) % 2 !== 0 && rely % 2 !== 0) {
          do c = 1 + (rand() % 2);
          while (c === color);
          if (relx % 2 !== 0) c = canvas.get(x - 1, y);
        }
      }
      canvas.set(x, y, c);
    }
  }
}

/** The skyline: two rows of windowless grey buildings behind a row of black ones with lit windows. */
function skyline(cols: number, rows: number, rand: Rand): Canvas {
  const canvas = new Canvas(cols, rows, 3);
  const h = canvas.height;
  for (let color = 2; color >= 1; color--) {
    for (let offset = -10; offset < canvas.width;) {
      offset += rand() % 8;
      const width = 10 + (rand() % 9);
      const height = Math.trunc(h / 2) + Math.trunc((rand() % h) / (color === 2 ? 2 : 3));
      building(canvas, offset, width, height, false, color, rand);
      offset += color === 2 ? Math.trunc(width / 2) : width + 1;
    }
  }
  for (let offset = -10; offset < canvas.width;) {
    offset += rand() % 8;
    let width = 5 + (rand() % 14);
    if (width % 4) width += width % 3;
    const height = Math.trunc(h / 3) + Math.trunc((rand() % h) / 2);
    building(canvas, offset, width, height, true, 0, rand);
    offset += width + 5;
  }
  return canvas;
}

/** Each pixel as a space on its colour (foreground and background set, for every terminal). */
function ansi(canvas: Canvas): string {
  const codes = ['0;30;40m', '0;90;100m', '0;37;47m', '0;97;107m'];
  let out = '';
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) out += `\x1b[${codes[canvas.get(x, y)] ?? codes[0]} \x1b[0m`;
    if (y !== canvas.height - 1) out += '\n';
  }
  return out;
}

/** An optional size argument, parsed as a long and clamped to [1, max]. */
function size(argv: string[], i: number, def: number, max: number): number {
  const v = i < argv.length ? argInt(argv[i]!) : def;
  return Math.min(max, Math.max(1, v));
}

/** LOLWUT [VERSION version] [args ...] */
function lolwut(ctx: Ctx): void {
  let argv = ctx.argv;
  let version = REDIS_VERSION;
  if (argv.length >= 3 && is(argv[1], 'VERSION')) {
    // Redis formats the version as unsigned: -1 is 4294967295
    version = `${argInt(argv[2]!) >>> 0}.0.0`;
    argv = [argv[0]!, ...argv.slice(3)];
  }
  const rand: Rand = () => Math.floor(ctx.server.random() * (RAND_MAX + 1));
  const [major, dot, minor] = version;
  let art: string;
  if ((major === '5' && dot === '.' && minor !== '9') || (major === '4' && dot === '.' && minor === '9')) {
    art = `${braille(schotter(size(argv, 1, 66, 1000), size(argv, 2, 8, 200), size(argv, 3, 12, 200), rand))}\nGeorg Nees - schotter, plotter on paper, 1968. `;
  } else if ((major === '6' && dot === '.' && minor !== '9') || (major === '5' && dot === '.' && minor === '9')) {
    art =
      `${ansi(skyline(size(argv, 1, 80, 1000), size(argv, 2, 20, 1000), rand))}\n` +
      'Dedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori. ';
  } else art = '';
  ctx.reply.verbatim(`${art}Redis ver. ${REDIS_VERSION}\n`);
}

export const commands: readonly CommandSpec[] = [
  command({
    name: 'lolwut',
    arity: -1,
    flags: ['readonly', 'fast'],
    group: 'server',
    since: '5.0.0',
    summary: 'Prints generative computer art and the Redis version.',
    args: [{ name: 'version', type: 'integer', token: 'VERSION', flags: ['optional'] }],
    handler: lolwut,
  }),
];
