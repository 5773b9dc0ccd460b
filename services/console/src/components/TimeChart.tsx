import { useEffect, useRef } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import type { Theme } from '../state/preferences.js'

export interface ChartLine {
  label: string
  values: Array<number | null>
}

// Line colours per theme, chosen for 3:1 contrast against the chart background (WCAG non-text contrast).
const PALETTE: Record<Theme, string[]> = {
  light: ['#1f5fbf', '#b34700', '#2e7d32', '#8e24aa', '#c62828'],
  dark: ['#7ab0ff', '#ffad66', '#7fd48a', '#e39af0', '#ff8a80'],
}
const AXIS: Record<Theme, { stroke: string; grid: string }> = {
  light: { stroke: '#333333', grid: '#d9d9d9' },
  dark: { stroke: '#e0e0e0', grid: '#3a3f47' },
}

export function strokeOf(theme: Theme, index: number): string {
  return PALETTE[theme][index % PALETTE[theme].length]!
}

/**
 * A time-series line chart (uPlot on a canvas). The canvas is not readable by assistive technology, so the figure
 * carries a text summary (each line's newest value) as its accessible name and a visible legend.
 */
export function TimeChart({
  id,
  title,
  times,
  lines,
  theme,
  format,
  yRange,
  xRange,
}: {
  id: string
  title: string
  times: number[]
  lines: ChartLine[]
  theme: Theme
  format: (value: number) => string
  yRange?: [number, number]
  /** Seconds: the span the x axis shows whatever the data covers (a history's whole range, not just its points). */
  xRange?: [number, number]
}) {
  const host = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const labels = lines.map((line) => line.label).join('|')

  useEffect(() => {
    const element = host.current
    if (element === null) return
    const axis = AXIS[theme]
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 280),
      height: 200,
      legend: { show: false },
      cursor: { show: false },
      scales: {
        // One bucket (a fresh namespace) would give uPlot a zero-width range, which it widens to years: a minute each side.
        x: { time: true, range: (_u, min, max) => (xRange !== undefined ? [xRange[0], xRange[1]] : min === max ? [min - 60, max + 60] : [min, max]) },
        y: yRange === undefined ? { auto: true, range: (_u, min, max) => [Math.min(0, min), Math.max(max, 1) * 1.1] } : { auto: false, range: yRange },
      },
      axes: [
        { stroke: axis.stroke, grid: { stroke: axis.grid, width: 1 }, ticks: { stroke: axis.grid } },
        { stroke: axis.stroke, grid: { stroke: axis.grid, width: 1 }, ticks: { stroke: axis.grid }, size: 64, values: (_u, splits) => splits.map((value) => format(value)) },
      ],
      series: [{}, ...lines.map((line, index) => ({ label: line.label, stroke: strokeOf(theme, index), width: 2, spanGaps: false, points: { show: true, size: 4 } }))],
    }
    const chart = new uPlot(options, [[]], element)
    plot.current = chart
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(element.clientWidth, 280), height: 200 }))
    resize.observe(element)
    return () => {
      resize.disconnect()
      chart.destroy()
      plot.current = null
    }
    // Rebuilt only when what is drawn changes shape (theme, lines); new data goes through setData below.
  }, [theme, labels, yRange?.[0], yRange?.[1], xRange?.[0], xRange?.[1]])

  useEffect(() => {
    plot.current?.setData([times, ...lines.map((line) => line.values)] as uPlot.AlignedData)
  })

  const summary = lines.map((line) => `${line.label} ${newest(line.values, format)}`).join(', ')
  const drawn = lines.reduce((count, line) => count + line.values.filter((value) => value !== null).length, 0)
  return (
    <figure className="chart" aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`}>{title}</figcaption>
      <div ref={host} id={id} className="chart-canvas" role="img" aria-label={`${title}: ${summary}`} data-points={drawn} />
      <ul className="legend">
        {lines.map((line, index) => (
          <li key={line.label}>
            <span className={`swatch swatch-${index}`} aria-hidden="true" />
            {line.label}: <strong>{newest(line.values, format)}</strong>
          </li>
        ))}
      </ul>
    </figure>
  )
}

function newest(values: Array<number | null>, format: (value: number) => string): string {
  for (let i = values.length - 1; i >= 0; i--) {
    const value = values[i]
    if (value !== null && value !== undefined) return format(value)
  }
  return 'no data yet'
}
