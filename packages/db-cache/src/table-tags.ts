import type { BaseTable } from './catalog/catalog.js'

/** `schema.name`, unquoted: the same spelling pg_catalog and pgoutput use, so both sides meet on one tag. */
export function tableName(table: BaseTable): string {
  return `${table.schema}.${table.name}`
}

/** The tag every cached result that read `schema.name` carries. */
export function tableTag(name: string): string {
  return `table:${name}`
}
