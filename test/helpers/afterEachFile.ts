// Loaded by jest into every test file (setupFilesAfterEnv): the temp dirs the file made are removed
// when it ends, whatever the file itself cleans up.
import { removeTempDirs } from './tempDirs.js';

afterAll(removeTempDirs);
