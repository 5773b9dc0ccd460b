import { fromMarkdown } from 'mdast-util-from-markdown'
import type { Code, Node, Parent } from 'mdast'

/** One fenced code block of a Markdown file, as the doc-sample harness sees it. */
export interface CodeBlock {
  /** The fence's language (`sh`, `ts`, `yaml`...), lower-cased; '' for a bare fence. */
  lang: string
  /** `key=value` attributes after the language; a bare word (`background`, `output`) maps to ''. */
  attrs: Record<string, string>
  /** The info string as written after the fence, for messages. */
  info: string
  /** The block's content, with the indentation of an enclosing list item removed (as CommonMark does). */
  code: string
  /** 1-based line of the opening fence in the file. */
  line: number
}

/**
 * Every fenced code block of a Markdown document, in order. Parsed by mdast-util-from-markdown (CommonMark), so a
 * fence inside a list item, a longer fence wrapping a shorter one, or ``` inside an indented code block are read the
 * way a renderer reads them. Indented (four-space) code blocks are not fenced and not returned: they have no
 * language, so they cannot say how they run.
 */
export function extractCodeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = []
  const visit = (node: Node): void => {
    if (node.type === 'code') {
      const code = node as Code
      const start = code.position?.start
      // An indented code block has no fence: it starts at its indentation, a fenced one at its ``` or ~~~.
      const fenced = start?.offset !== undefined && /^(`{3,}|~{3,})/.test(markdown.slice(start.offset, start.offset + 3))
      if (fenced) {
        const info = [code.lang ?? '', code.meta ?? ''].filter((part) => part !== '').join(' ')
        const { lang, attrs } = parseInfoString(info)
        blocks.push({ lang, attrs, info, code: code.value, line: start.line })
      }
    }
    if ('children' in node) for (const child of (node as Parent).children) visit(child)
  }
  visit(fromMarkdown(markdown))
  return blocks
}

/**
 * `sh stack=infra background ready="listening on .*"` → lang `sh`, attrs { stack: 'infra', background: '', ready: ... }.
 * Values may be double- or single-quoted to hold spaces; a backslash inside double quotes escapes the next character.
 */
export function parseInfoString(info: string): { lang: string; attrs: Record<string, string> } {
  const words = splitWords(info.trim())
  const lang = (words.shift() ?? '').toLowerCase()
  const attrs: Record<string, string> = {}
  for (const word of words) {
    const equals = word.indexOf('=')
    if (equals === -1) attrs[word] = ''
    else attrs[word.slice(0, equals)] = word.slice(equals + 1)
  }
  return { lang, attrs }
}

function splitWords(text: string): string[] {
  const words: string[] = []
  let current = ''
  let quote: '"' | "'" | undefined
  let started = false
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!
    if (quote !== undefined) {
      if (char === quote) quote = undefined
      else if (char === '\\' && quote === '"' && i + 1 < text.length) current += text[++i]
      else current += char
    } else if (char === '"' || char === "'") {
      quote = char
      started = true
    } else if (/\s/.test(char)) {
      if (started) words.push(current)
      current = ''
      started = false
    } else {
      current += char
      started = true
    }
  }
  if (quote !== undefined) throw new Error(`unterminated ${quote} in the info string: ${text}`)
  if (started) words.push(current)
  return words
}
