// A stage tied to the config type (defineStage<Config>, Config = z.output of the schema given to
// definePipeline) gets its `params` and `ctx.param` checked by the compiler: keys and value types.
// The `@ts-expect-error` lines fail the type check (`npm test` runs it) when a check is lost.
import { z } from 'zod';
import { definePipeline, defineStage, stageDefinedAt } from '../../src/api.js';

const schema = z.object({
  train: z.object({ lora_rank: z.number().default(8), template: z.string().default('qwen') }).prefault({}),
  other: z.object({ flag: z.boolean().default(false) }).prefault({}),
});
type Config = z.output<typeof schema>;

const typed = defineStage<Config>({
  name: 'typed',
  params: ['train.lora_rank'],
  async run(ctx) {
    const rank: number = ctx.param('train.lora_rank');
    const section: { lora_rank: number; template: string } = ctx.param('train');
    // @ts-expect-error a key the schema does not have
    ctx.param('train.lora_rnak');
    // @ts-expect-error the value is a number
    const wrong: string = ctx.param('train.lora_rank');
    void rank;
    void section;
    void wrong;
  },
});

// @ts-expect-error params must be keys of the schema
defineStage<Config>({ name: 'bad', params: ['train.nope'], async run() {} });

const pipeline = definePipeline({
  schema,
  stages: [
    typed,
    // An untyped stage (from a module that does not know the schema) still fits.
    defineStage({
      name: 'untyped',
      params: ['anything.at.all'],
      async run(ctx) {
        void ctx.param<number>('anything.at.all');
      },
    }),
  ],
});

test('defineStage remembers where it was called (the engine maps that to the defining module)', () => {
  expect(pipeline.stages.map((s) => s.name)).toEqual(['typed', 'untyped']);
  for (const s of pipeline.stages) expect(stageDefinedAt(s)?.file).toMatch(/typedParams\.test\.ts$/);
  expect(stageDefinedAt({})).toBeUndefined();
});
