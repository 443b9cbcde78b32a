// Where the register stage writes: a module of its own, so a stage that only needs these paths
// (train) does not import register's code, and its fingerprint does not change with it.
export const ENTRIES_OUT = 'artifacts/register';
export const ENTRIES_FILE = 'entries.json';
export const REPORT_OUT = 'artifacts/reports/datasets.json';
