/**
 * What the server sends the dashboard page once a second (/events, a JSON
 * object): one type for both sides, the server's snapshot.ts, which builds
 * it, and the page's app.ts, which draws it. Types only: nothing of this
 * file runs (it lives under the page's folder so that the page's own
 * tsconfig compiles it too).
 */
export interface Snapshot {
  /** Schema version of this object. */
  v: 1;
  /** The server's clock, ms. */
  t: number;
  /** INFO's sections: name -> field -> value, as INFO prints them. */
  info: Record<string, Record<string, string | number>>;
  /** Settings the page explains its views with. */
  config: { slowlogSlowerThan: number; slowlogMaxLen: number; latencyThreshold: number; latencyTracking: boolean };
  /** INFO commandstats: [command, calls, usec, rejected_calls, failed_calls] for each command used. */
  commands: [string, number, number, number, number][];
  /** INFO latencystats: the percentiles and, per command, their values in µs. */
  latency: { pcts: number[]; cmds: Record<string, number[]> };
  /** CLIENT LIST: the first CLIENTS_SHOWN lines as field -> value (CLIENT_FIELDS), and how many clients there are. */
  clients: { total: number; list: Record<string, string>[] };
  /** SLOWLOG LEN and the newest SLOWLOG_SHOWN entries. */
  slowlog: {
    len: number;
    entries: { id: number; time: number; usec: number; args: string[]; addr: string; name: string }[];
  };
  /** LATENCY LATEST: [event, time of the latest sample, its latency (ms), all-time max (ms)]. */
  events: [string, number, number, number][];
}
