import { Packr } from 'msgpackr'
import type { Codec } from './codec.js'

// No shared record structures: each entry carries its own record definitions, so any process can decode it.
// structuredClone keeps Maps, Sets and cyclic references as they were (plain msgpack turns Maps into objects).
const packr = new Packr({ moreTypes: true, structuredClone: true })

/** MessagePack: smaller and faster than JSON, and keeps Dates, Maps, Sets, binary and bigints. */
export const msgpackCodec: Codec = {
  id: 2,
  name: 'msgpack',
  encode: (value) => packr.pack(value),
  decode: (bytes) => packr.unpack(bytes) as unknown,
}
