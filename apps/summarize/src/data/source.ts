import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { cacheDir, resolveDataPath, RnnkitError, writeFileAtomic } from '@rnnkit/core';

/**
 * Where the Inshorts file comes from: core's resolveDataPath (--data, else $RNNKIT_DATA_DIR/summarization/
 * news_summary.csv.gz, else the cache, else the public download). The download is a zip: its CSV member is
 * extracted next to it in the cache, once.
 */

export const DATA_RELATIVE_PATH = 'summarization/news_summary.csv.gz';
export const DATA_URL =
  'https://raw.githubusercontent.com/Hitesh-Nimbalkar/Text_summarise_data/856b83b89b5b6f4e22bd44af8d64bd742116c249/news_summary.zip';
const ZIP_CACHE_NAME = 'summarization/news_summary.zip';
const ZIP_MEMBER = 'news_summary.csv';

export async function resolveNewsData(flag: string | undefined, timeoutMs = 30_000): Promise<string> {
  const found = await resolveDataPath(flag, DATA_RELATIVE_PATH, { url: DATA_URL, cacheName: ZIP_CACHE_NAME, timeoutMs });
  const zip = path.join(cacheDir(), ZIP_CACHE_NAME);
  if (found !== zip) return found;
  // The cached download: read its CSV member, extracted once.
  const extracted = path.join(cacheDir(), 'summarization', ZIP_MEMBER);
  if (!existsSync(extracted)) await writeFileAtomic(extracted, extractZipMember(readFileSync(zip), ZIP_MEMBER, zip));
  return extracted;
}

/** Reads one stored or deflated member of a zip archive via its central directory (Node has no unzip). */
export function extractZipMember(zip: Uint8Array, member: string, file: string): Uint8Array {
  const buf = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65_535); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new RnnkitError(`${file}: not a zip archive (no end-of-central-directory record)`);
  const entries = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  for (let e = 0; e < entries; e++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new RnnkitError(`${file}: corrupt zip central directory`);
    const method = buf.readUInt16LE(p + 10);
    const compressedSize = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const localOffset = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    if (name === member) {
      const dataStart = localOffset + 30 + buf.readUInt16LE(localOffset + 26) + buf.readUInt16LE(localOffset + 28);
      const data = buf.subarray(dataStart, dataStart + compressedSize);
      if (method === 0) return data;
      if (method === 8) return inflateRawSync(data);
      throw new RnnkitError(`${file}: member ${member} uses unsupported compression method ${method}`);
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  throw new RnnkitError(`${file}: no member named ${member}`);
}
