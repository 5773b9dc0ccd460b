export { runCli, main } from './main.js'
export { EXIT, CliFailure, type CliIo } from './cli-io.js'
