import { LineCounter, isNode, parseDocument } from 'yaml'

/** A YAML document parsed with positions, so a validation error can name the line it is about. */
export interface LocatedYaml {
  /** The document as plain JavaScript. */
  readonly value: unknown
  /**
   * The line of the deepest node along `path` that exists (a missing field reports its parent's line). A string
   * element of `path` that is a JSON pointer (`/rules/0/name`, as TypeBox reports errors) is split into its segments.
   */
  lineAt(...path: ReadonlyArray<string | number>): number
}

/**
 * Parses YAML for a rules or plan file: duplicate keys are errors, and a syntax error calls `onSyntaxError` with its
 * line and first message line (which throws the file's own error code).
 */
export function parseLocatedYaml(text: string, onSyntaxError: (line: number, message: string) => never): LocatedYaml {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lineCounter.linePos(offset).line)
  const syntax = doc.errors[0]
  if (syntax !== undefined) onSyntaxError(syntax.linePos?.[0].line ?? lineOf(syntax.pos[0]), syntax.message.split('\n')[0] ?? syntax.message)
  return {
    value: doc.toJS() as unknown,
    lineAt(...path) {
      const segments = path.flatMap((part) => (typeof part === 'string' && part.startsWith('/') ? segmentsOf(part) : part === '' ? [] : [part]))
      for (let length = segments.length; length >= 0; length--) {
        const node: unknown = length === 0 ? doc.contents : doc.getIn(segments.slice(0, length), true)
        if (isNode(node) && node.range !== undefined && node.range !== null) return lineOf(node.range[0])
      }
      return 1
    },
  }
}

/** JSON pointer segments; numeric ones as array indexes. */
function segmentsOf(pointer: string): Array<string | number> {
  return pointer
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment.replace(/~1/g, '/').replace(/~0/g, '~')))
}
