export { StrataError, isStrataError } from './strata-error.js'
export { ERROR_CODES, type ErrorCode } from './codes.js'
export { toProblem, problem, validationIssues, PROBLEM_CONTENT_TYPE, type Problem } from './problem.js'
