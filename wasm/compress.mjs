// Writes a brotli copy (`FILE.br`, highest quality) beside each file given,
// for static servers that send precompressed files (nginx `brotli_static`,
// most CDNs): browsers take brotli over HTTPS. Compressed once at build
// time, downloaded many times. Node's own zlib, so nothing to install.
// build.sh writes the gzip copies (`FILE.gz`) with gzip itself.
//
//   node wasm/compress.mjs FILE...
import { readFileSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants } from 'node:zlib';

for (const file of process.argv.slice(2)) {
  const raw = readFileSync(file);
  const br = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_LGWIN]: constants.BROTLI_MAX_WINDOW_BITS,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  writeFileSync(`${file}.br`, br);
}
