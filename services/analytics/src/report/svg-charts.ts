export interface Series {
  name: string
  color: string
  points: ReadonlyArray<{ x: number; y: number }>
}

export interface ChartOptions {
  title: string
  width?: number
  height?: number
  xLabel?: (x: number) => string
  yLabel?: (y: number) => string
  yMin?: number
  yMax?: number
}

const PAD = { left: 56, right: 16, top: 28, bottom: 32 }

/** A line chart as inline SVG (no script, no external asset): axes, four ticks per axis, a legend. */
export function lineChart(series: readonly Series[], options: ChartOptions): string {
  const width = options.width ?? 560
  const height = options.height ?? 220
  const all = series.flatMap((s) => s.points)
  if (all.length === 0) return emptyChart(options.title, width, height)
  const xs = all.map((p) => p.x)
  const ys = all.map((p) => p.y)
  const xMin = Math.min(...xs)
  const xMax = Math.max(...xs) === xMin ? xMin + 1 : Math.max(...xs)
  const yMin = options.yMin ?? Math.min(0, ...ys)
  const yMaxRaw = options.yMax ?? Math.max(...ys)
  const yMax = yMaxRaw === yMin ? yMin + 1 : yMaxRaw
  const sx = (x: number) => PAD.left + ((x - xMin) / (xMax - xMin)) * (width - PAD.left - PAD.right)
  const sy = (y: number) => height - PAD.bottom - ((y - yMin) / (yMax - yMin)) * (height - PAD.top - PAD.bottom)
  const lines = series
    .map((s) => {
      const d = s.points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')
      const dots = s.points.length === 1 ? `<circle cx="${sx(s.points[0]!.x).toFixed(1)}" cy="${sy(s.points[0]!.y).toFixed(1)}" r="3" fill="${s.color}"/>` : ''
      return `<polyline class="series" data-series="${escapeHtml(s.name)}" fill="none" stroke="${s.color}" stroke-width="2" points="${d}"/>${dots}`
    })
    .join('')
  return frame(options.title, width, height, axes(width, height, xMin, xMax, yMin, yMax, sx, sy, options) + lines + legend(series, width))
}

/** Horizontal groups of vertical bars: one group per category, one bar per series. */
export function barChart(categories: readonly string[], series: ReadonlyArray<{ name: string; color: string; values: readonly number[] }>, options: ChartOptions): string {
  const width = options.width ?? 560
  const height = options.height ?? 220
  const values = series.flatMap((s) => s.values)
  if (categories.length === 0 || values.length === 0) return emptyChart(options.title, width, height)
  const yMax = Math.max(...values) || 1
  const plotWidth = width - PAD.left - PAD.right
  const groupWidth = plotWidth / categories.length
  const barWidth = (groupWidth * 0.8) / series.length
  const sy = (y: number) => height - PAD.bottom - (y / yMax) * (height - PAD.top - PAD.bottom)
  let bars = ''
  categories.forEach((category, c) => {
    series.forEach((s, i) => {
      const value = s.values[c] ?? 0
      const x = PAD.left + c * groupWidth + groupWidth * 0.1 + i * barWidth
      bars += `<rect class="bar" x="${x.toFixed(1)}" y="${sy(value).toFixed(1)}" width="${(barWidth - 1).toFixed(1)}" height="${(height - PAD.bottom - sy(value)).toFixed(1)}" fill="${s.color}"><title>${escapeHtml(`${category} ${s.name}: ${value}`)}</title></rect>`
    })
    bars += `<text x="${(PAD.left + c * groupWidth + groupWidth / 2).toFixed(1)}" y="${height - 12}" text-anchor="middle" font-size="11">${escapeHtml(category)}</text>`
  })
  const yTicks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => `<text x="${PAD.left - 6}" y="${(sy(f * yMax) + 4).toFixed(1)}" text-anchor="end" font-size="10">${escapeHtml((options.yLabel ?? String)(round(f * yMax)))}</text>`)
    .join('')
  const axis = `<line x1="${PAD.left}" y1="${height - PAD.bottom}" x2="${width - PAD.right}" y2="${height - PAD.bottom}" stroke="#888"/>`
  return frame(options.title, width, height, axis + yTicks + bars + legend(series, width))
}

function axes(width: number, height: number, xMin: number, xMax: number, yMin: number, yMax: number, sx: (x: number) => number, sy: (y: number) => number, options: ChartOptions): string {
  const ticks = [0, 1 / 3, 2 / 3, 1]
  const xl = options.xLabel ?? ((x: number) => String(round(x)))
  const yl = options.yLabel ?? ((y: number) => String(round(y)))
  let out = `<line x1="${PAD.left}" y1="${height - PAD.bottom}" x2="${width - PAD.right}" y2="${height - PAD.bottom}" stroke="#888"/><line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${height - PAD.bottom}" stroke="#888"/>`
  for (const f of ticks) {
    const x = xMin + f * (xMax - xMin)
    const y = yMin + f * (yMax - yMin)
    out += `<text x="${sx(x).toFixed(1)}" y="${height - 12}" text-anchor="middle" font-size="10">${escapeHtml(xl(x))}</text>`
    out += `<text x="${PAD.left - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end" font-size="10">${escapeHtml(yl(y))}</text>`
    out += `<line x1="${PAD.left}" y1="${sy(y).toFixed(1)}" x2="${width - PAD.right}" y2="${sy(y).toFixed(1)}" stroke="#eee"/>`
  }
  return out
}

function legend(series: ReadonlyArray<{ name: string; color: string }>, width: number): string {
  return series
    .map((s, i) => `<rect x="${width - PAD.right - 110}" y="${6 + i * 14}" width="10" height="10" fill="${s.color}"/><text x="${width - PAD.right - 96}" y="${15 + i * 14}" font-size="11">${escapeHtml(s.name)}</text>`)
    .join('')
}

function frame(title: string, width: number, height: number, body: string): string {
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(title)}"><text x="${PAD.left}" y="16" font-size="13" font-weight="600">${escapeHtml(title)}</text>${body}</svg>`
}

function emptyChart(title: string, width: number, height: number): string {
  return frame(title, width, height, `<text class="empty" x="${width / 2}" y="${height / 2}" text-anchor="middle" font-size="12" fill="#888">no data in this window</text>`)
}

export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}

function round(value: number): number {
  return Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 100) / 100
}
