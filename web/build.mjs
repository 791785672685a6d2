// Build the browser app into dist/: hashed file names (cache-busting), a manifest the
// server reads to write the <script> and <link> tags, and gzip/brotli copies it serves
// to browsers that accept them. `node build.mjs` (about one second).
import * as esbuild from 'esbuild'
import { createHash } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import zlib from 'node:zlib'

const here = path.dirname(fileURLToPath(import.meta.url))
const dist = path.join(here, 'dist')

// One entry per page shell; `style` is the stylesheet every shell links.
const entryPoints = {
  style: 'src/css/base.css',
  charter: 'src/charter.js',
  editor: 'src/editor.js',
  projector: 'src/projector.js',
  amendments: 'src/amendments.js',
  amendment: 'src/amendment.js',
  comments: 'src/comments.js',
}

await rm(dist, { recursive: true, force: true })
const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints,
  bundle: true,
  splitting: true, // shared code (yjs, the provider) in one cached chunk
  format: 'esm',
  minify: true,
  sourcemap: 'linked',
  target: ['chrome100', 'firefox100', 'safari15', 'edge100'],
  outdir: dist,
  entryNames: '[name]-[hash]',
  chunkNames: 'chunks/[name]-[hash]',
  assetNames: 'assets/[name]-[hash]',
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
})

// manifest.json: entry name -> {js, css, preload}; paths relative to dist/.
const manifest = {}
const relative = (file) => path.relative(dist, path.join(here, file)).split(path.sep).join('/')
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  if (!output.entryPoint) continue
  const name = Object.keys(entryPoints).find((key) => entryPoints[key] === output.entryPoint)
  if (!name) continue
  const entry = (manifest[name] ||= {})
  if (file.endsWith('.js')) {
    entry.js = relative(file)
    entry.preload = output.imports
      .filter((i) => i.kind === 'import-statement')
      .map((i) => relative(i.path))
    if (output.cssBundle) entry.css = relative(output.cssBundle)
  } else if (file.endsWith('.css')) {
    entry.css = relative(file)
  }
}
for (const name of Object.keys(entryPoints)) {
  if (!manifest[name]) throw new Error(`no output for entry ${name}`)
}

// Pre-compressed copies: the server picks one by Accept-Encoding.
let total = 0
for (const file of Object.keys(result.metafile.outputs)) {
  if (!/\.(js|css)$/.test(file)) continue
  const full = path.join(here, file)
  const data = await readFile(full)
  total += data.length
  await writeFile(full + '.gz', zlib.gzipSync(data, { level: 9 }))
  await writeFile(
    full + '.br',
    zlib.brotliCompressSync(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }),
  )
}
// The icon, with a content hash like everything else.
const icon = await readFile(path.join(here, 'src/favicon.svg'))
const iconName = `favicon-${createHash('sha256').update(icon).digest('hex').slice(0, 8)}.svg`
await writeFile(path.join(dist, iconName), icon)
manifest.icon = { file: iconName }

await mkdir(dist, { recursive: true })
await writeFile(path.join(dist, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
console.log(`web/dist: ${Object.keys(manifest).length} entries, ${Math.round(total / 1024)} KiB of JS and CSS`)
