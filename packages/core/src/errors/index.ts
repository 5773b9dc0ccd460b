export { StrataError, isStrataError } from './strata-error.js'
export { ERROR_CODES, type ErrorCode } from './codes.js'
