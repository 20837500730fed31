/** The Redis version tsdis reports (clients check it for features), and its own. */
export const REDIS_VERSION = '7.2.4';
export const TSDIS_VERSION = '0.1.0';
