// The package ships no types. It returns a classic (through) stream: pipe into it and out of it.
declare module 'unbzip2-stream' {
  import type { Duplex } from 'node:stream';
  export default function unbzip2(): Duplex;
}
