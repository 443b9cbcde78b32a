// The domain's side of `pipeline exp`: what `exp show` lists and the comparison report.
import type { ExperimentHooks } from '../../src/api.js';
import { experimentMetrics } from './metrics.js';
import { writeExperimentsReport } from './report.js';

export const experimentHooks: ExperimentHooks = {
  metrics: experimentMetrics,
  sortBy: 'pass_rate',
  report: writeExperimentsReport,
};
