import type { ErrorReport } from '@strata/bus'
import type { WriteBehindErrorEvent } from '../write-behind-flusher.js'

/** A dead-lettered write as a `strata.error.v1` report: the key and version, never the value; the job's trace. */
export function deadWriteReport(event: WriteBehindErrorEvent): ErrorReport {
  return {
    code: event.code,
    message: event.message,
    namespace: event.namespace,
    operation: 'flush',
    deadLetter: true,
    subject: `${event.namespace}/${event.key}@${event.version}`,
    ...(event.traceparent === undefined ? {} : { traceparent: event.traceparent }),
  }
}
