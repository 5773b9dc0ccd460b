import { describe, expect, it } from 'vitest'
import { extractCodeBlocks, parseInfoString } from './code-blocks.js'

describe('extractCodeBlocks', () => {
  it('returns each fenced block with its language, attributes, content and the line of its opening fence', () => {
    const markdown = ['# Title', '', '```sh', 'echo one', '```', '', 'text', '', '```ts stack=infra', "console.log('two')", '```', ''].join('\n')
    expect(extractCodeBlocks(markdown)).toEqual([
      { lang: 'sh', attrs: {}, info: 'sh', code: 'echo one', line: 3 },
      { lang: 'ts', attrs: { stack: 'infra' }, info: 'ts stack=infra', code: "console.log('two')", line: 9 },
    ])
  })

  it('reads tilde fences and a bare fence (language "")', () => {
    const blocks = extractCodeBlocks(['~~~yaml kind=warmer-plan', 'a: 1', '~~~', '', '```', 'plain', '```'].join('\n'))
    expect(blocks.map((block) => [block.lang, block.attrs, block.code, block.line])).toEqual([
      ['yaml', { kind: 'warmer-plan' }, 'a: 1', 1],
      ['', {}, 'plain', 5],
    ])
  })

  it('keeps a shorter fence inside a longer one as content (one block, not two)', () => {
    const markdown = ['````markdown', '```sh', 'echo inner', '```', '````'].join('\n')
    const blocks = extractCodeBlocks(markdown)
    expect(blocks).toHaveLength(1)
    expect(blocks[0]).toMatchObject({ lang: 'markdown', code: '```sh\necho inner\n```', line: 1 })
  })

  it('finds fences nested in list items and block quotes, with the item indentation removed', () => {
    const markdown = ['1. Start it:', '', '   ```sh', '   echo indented', '     two more', '   ```', '', '> ```js', '> console.log(1)', '> ```'].join('\n')
    const blocks = extractCodeBlocks(markdown)
    expect(blocks.map((block) => [block.lang, block.code, block.line])).toEqual([
      ['sh', 'echo indented\n  two more', 3],
      ['js', 'console.log(1)', 8],
    ])
  })

  it('ignores indented (four-space) code blocks, even when they show a fence', () => {
    const markdown = ['Text.', '', '    ```sh', '    rm -rf /', '    ```', '', 'More.'].join('\n')
    expect(extractCodeBlocks(markdown)).toEqual([])
  })

  it('does not end a block at a fence of the other kind or a shorter one', () => {
    const markdown = ['```sh', 'cat <<EOF', '~~~', '``', 'EOF', '```'].join('\n')
    expect(extractCodeBlocks(markdown)[0]?.code).toBe('cat <<EOF\n~~~\n``\nEOF')
  })

  it('an unclosed fence runs to the end of the document (CommonMark), so nothing after it is lost silently', () => {
    const blocks = extractCodeBlocks(['```sh', 'echo a', '', '## not a heading'].join('\n'))
    expect(blocks[0]?.code).toBe('echo a\n\n## not a heading')
  })
})

describe('parseInfoString', () => {
  it('splits the language from key=value attributes and bare words', () => {
    expect(parseInfoString('SH background ready=listening stack=infra')).toEqual({ lang: 'sh', attrs: { background: '', ready: 'listening', stack: 'infra' } })
  })

  it('takes quoted values with spaces, and backslash escapes inside double quotes', () => {
    expect(parseInfoString(`sh background ready="admin key +sk_" note='a b'`).attrs).toEqual({ background: '', ready: 'admin key +sk_', note: 'a b' })
    expect(parseInfoString('sh ready="say \\"hi\\""').attrs.ready).toBe('say "hi"')
  })

  it('keeps an = inside a value', () => {
    expect(parseInfoString('sh ready=a=b').attrs.ready).toBe('a=b')
  })

  it('refuses an unterminated quote rather than guessing', () => {
    expect(() => parseInfoString('sh ready="open')).toThrow(/unterminated/)
  })

  it('an empty info string is the empty language', () => {
    expect(parseInfoString('')).toEqual({ lang: '', attrs: {} })
  })
})
