// The engine's copy of zod, as an entry point of the CLI build (bin/pipeline.js): a workspace's DAG
// bundle imports it from there (PIPELINE_ZOD_MODULE) instead of bundling a second copy, when its
// `zod` is the very package the engine uses. One copy to compile on every start, not two (~500 KB).
export * from 'zod';
export { z as default } from 'zod';
