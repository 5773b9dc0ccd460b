import { afterAll } from 'vitest'
import { stopServerContainers } from './server-containers.js'

// vitest setupFile for container mode: a test file's containers go when the file is done, not when the run ends
// (vitest ends a test process with SIGTERM, which leaves no time to stop them then).
afterAll(stopServerContainers)
