// The workload generators live in @strata/testkit so tests (analytics) and benchmarks draw the same streams.
export { seededRandom, zipfKeys, loopKeys, zipfWithScans, type ZipfOptions } from '@strata/testkit'
