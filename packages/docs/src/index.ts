// @strata/docs — runs the code blocks of README.md and docs/ (doc-samples-convention) and writes generated references.
export { extractCodeBlocks, parseInfoString, type CodeBlock } from './code-blocks.js'
export { planSamples, LOADER_KINDS, type Sample, type LoaderKind, type PlanIssue } from './sample-plan.js'
export { runDoc, formatFailure, type DocRun, type DocFailure } from './run-doc.js'
export { docFiles, PENDING_FILES } from './doc-files.js'
