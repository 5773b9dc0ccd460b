/**
 * Turns values into bytes and back. `id` is written into every stored entry so a reader knows which codec made it;
 * ids 1-15 are Strata's, 16-255 are free for user codecs.
 */
export interface Codec {
  readonly id: number
  readonly name: string
  encode(value: unknown): Uint8Array
  decode(bytes: Uint8Array): unknown
}
