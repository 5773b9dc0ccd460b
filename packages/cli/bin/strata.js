#!/usr/bin/env node
// Workspace packages ship TypeScript sources; tsx's loader runs them without a build step.
import process from 'node:process'
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src/main.ts')
process.exitCode = await main(process.argv.slice(2))
