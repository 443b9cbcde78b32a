// The register section's cross-field rules are zod issues whose path points at the offending key
// (the engine turns that path into file:line:col), and trainDatasetArgs renders the mix for training.
import { configSchema } from '../../stages/register/config.js';
import { trainDatasetArgs } from '../../stages/register/mix.js';
import { paramsFrom } from './stageHarness.js';

function issues(cfg: unknown): Array<{ path: string; message: string }> {
  const r = configSchema.safeParse(cfg);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('register config', () => {
  it('fills every default when the section is missing', () => {
    const cfg = configSchema.parse(undefined);
    expect(cfg).toEqual({
      dataset_dir: 'data',
      sources: {
        eyjafjalla_sft: { file: 'data/eyjafjalla_sft.json', on_invalid: 'fail', formatting: 'sharegpt' },
        eyjafjalla_tongren_sft: { file: 'data/eyjafjalla_tongren_sft.json', on_invalid: 'drop', formatting: 'sharegpt' },
      },
      datasets: ['eyjafjalla_sft', 'eyjafjalla_tongren_sft'],
      mix_strategy: 'concat',
      mixed_system_prompts: 'warn',
    });
  });

  it('rejects interleave_probs with concat, at interleave_probs', () => {
    expect(issues({ interleave_probs: [0.5, 0.5] })).toEqual([
      { path: 'interleave_probs', message: expect.stringMatching(/only applies to an interleave mix_strategy/) },
    ]);
  });

  it('rejects interleave_probs of the wrong length, at interleave_probs', () => {
    expect(issues({ mix_strategy: 'interleave_under', interleave_probs: [1] })).toEqual([
      { path: 'interleave_probs', message: 'interleave_probs has 1 value(s) but datasets has 2: give one probability per dataset, in the order of datasets' },
    ]);
  });

  it('rejects interleave_probs not summing to 1, at interleave_probs', () => {
    expect(issues({ mix_strategy: 'interleave_over', interleave_probs: [0.7, 0.2] })).toEqual([
      { path: 'interleave_probs', message: "interleave_probs must sum to 1 (within numpy's tolerance, 1.5e-8), but they sum to 0.9" },
    ]);
    expect(issues({ mix_strategy: 'interleave_over', interleave_probs: [0.7, 0.3] })).toEqual([]);
    // numpy's random.choice (used by datasets' interleave_datasets) rejects an error above sqrt(eps)
    // ≈ 1.5e-8: 1e-7 off is refused here, before any GPU time, not only after loading the model.
    expect(issues({ mix_strategy: 'interleave_over', interleave_probs: [0.6000001, 0.4] })).toHaveLength(1);
    expect(issues({ mix_strategy: 'interleave_over', interleave_probs: [0.600000001, 0.4] })).toEqual([]);
  });

  it('rejects an unknown dataset at its index, and unknown keys', () => {
    expect(issues({ datasets: ['eyjafjalla_sft', 'nope'] })).toEqual([
      { path: 'datasets.1', message: expect.stringMatching(/unknown dataset "nope": add it under register.sources/) },
    ]);
    expect(issues({ sources: { a: { file: 'a.json', on_invalid: 'skip' } }, datasets: ['a'] })[0]!.path).toBe('sources.a.on_invalid');
    expect(issues({ mix: 'concat' })[0]!.message).toMatch(/mix/);
  });
});

describe('trainDatasetArgs', () => {
  it('joins the dataset names and leaves interleave_probs out for concat', () => {
    expect(trainDatasetArgs(paramsFrom({}))).toEqual({ dataset: 'eyjafjalla_sft,eyjafjalla_tongren_sft', dataset_dir: 'data', mix_strategy: 'concat' });
  });

  it('renders interleave_probs comma-joined in dataset order', () => {
    const params = paramsFrom({
      dataset_dir: 'mydata',
      datasets: ['eyjafjalla_tongren_sft', 'eyjafjalla_sft'],
      mix_strategy: 'interleave_under',
      interleave_probs: [0.25, 0.75],
    });
    expect(trainDatasetArgs(params)).toEqual({
      dataset: 'eyjafjalla_tongren_sft,eyjafjalla_sft',
      dataset_dir: 'mydata',
      mix_strategy: 'interleave_under',
      interleave_probs: '0.25,0.75',
    });
  });
});
