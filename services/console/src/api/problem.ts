/** An RFC 9457 problem answer as the console shows it: the stable code, the title and the detail a person can act on. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
  ) {
    super(detail === '' ? title : detail)
    this.name = 'ApiProblem'
  }
}

/** Reads a failed answer into an ApiProblem, whether or not the server sent problem+json (a proxy may not). */
export async function problemOf(response: Response): Promise<ApiProblem> {
  const text = await response.text()
  try {
    const body = JSON.parse(text) as { code?: unknown; title?: unknown; detail?: unknown; message?: unknown; error?: unknown }
    const str = (value: unknown) => (typeof value === 'string' ? value : '')
    return new ApiProblem(response.status, str(body.code) || `HTTP_${response.status}`, str(body.title) || str(body.error) || response.statusText, str(body.detail) || str(body.message))
  } catch {
    return new ApiProblem(response.status, `HTTP_${response.status}`, response.statusText, text.slice(0, 300))
  }
}

/** What a failure says in the UI: `E_CODE: detail`. */
export function describeError(error: unknown): string {
  if (error instanceof ApiProblem) return `${error.code}: ${error.message}`
  if (error instanceof Error) return error.message
  return String(error)
}
