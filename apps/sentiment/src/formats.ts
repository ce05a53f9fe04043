import { RnnkitError } from '@rnnkit/core/browser';

/**
 * The two file formats, parsed from text already decoded (read.ts decodes strictly). Every error names the file and
 * the line, in one line: "<file>: line 12: ...". Texts that are empty after trimming are counted, not returned (the
 * hotel reviews have one), since an empty text has no sentiment to learn.
 */

export interface LabeledText {
  text: string;
  label: number;
  /** 1-based line of the file the example starts on. */
  line: number;
}

export interface ParsedFile {
  examples: LabeledText[];
  /** Rows whose text is empty (skipped). */
  emptyTexts: number;
}

function parseLabel(raw: string, file: string, line: number, numClasses: number): number {
  const label = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(label) || label < 0 || label >= numClasses) {
    const allowed = Array.from({ length: numClasses }, (_, i) => i).join(' or ');
    throw new RnnkitError(`${file}: line ${line}: label ${JSON.stringify(raw.slice(0, 40))} is not ${allowed}`);
  }
  return label;
}

function checkHeader(fields: string[], want: readonly string[], file: string, separator: string): void {
  if (fields.length !== want.length || fields.some((f, i) => f.trim() !== want[i])) {
    const shown = fields.join(separator).slice(0, 80);
    throw new RnnkitError(`${file}: line 1: header ${JSON.stringify(shown)} is not "${want.join(separator === '\t' ? '<TAB>' : separator)}"`);
  }
}

/**
 * GLUE SST-2's TSV: header `sentence<TAB>label`, one example per line, no quoting. The sentence keeps its trailing
 * space in the file; it is trimmed here.
 */
export function parseSst2Tsv(content: string, file: string, numClasses = 2): ParsedFile {
  const lines = content.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) throw new RnnkitError(`${file}: is empty`);
  const strip = (l: string) => (l.endsWith('\r') ? l.slice(0, -1) : l);
  checkHeader(strip(lines[0]).split('\t'), ['sentence', 'label'], file, '\t');
  const examples: LabeledText[] = [];
  let emptyTexts = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = i + 1;
    const fields = strip(lines[i]).split('\t');
    if (fields.length !== 2) {
      throw new RnnkitError(`${file}: line ${line}: expected 2 tab-separated fields (sentence, label), got ${fields.length}`);
    }
    const label = parseLabel(fields[1], file, line, numClasses);
    const text = fields[0].trim();
    if (text === '') emptyTexts++;
    else examples.push({ text, label, line });
  }
  if (examples.length === 0) throw new RnnkitError(`${file}: has a header but no examples`);
  return { examples, emptyTexts };
}

/**
 * RFC-4180 CSV records (quoted fields may hold commas, doubled quotes and newlines), each with the line it starts
 * on. A quote left open at the end of the file is an error naming the line it was opened on (a truncated file).
 */
export function parseCsvRecords(content: string, file: string): { fields: string[]; line: number }[] {
  const records: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  let quoteLine = 0;
  let atFieldStart = true;
  const endRecord = () => {
    fields.push(field);
    records.push({ fields, line: recordLine });
    fields = [];
    field = '';
    atFieldStart = true;
  };
  for (let i = 0; i < content.length; i++) {
    const c = content[i];
    if (quoted) {
      if (c === '"') {
        if (content[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
          const next = content[i + 1];
          if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
            throw new RnnkitError(`${file}: line ${line}: invalid CSV: a closing quote must end the field (found ${JSON.stringify(next)} after it)`);
          }
        }
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && atFieldStart) {
      quoted = true;
      quoteLine = line;
      atFieldStart = false;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      atFieldStart = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && content[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      if (c === '"') throw new RnnkitError(`${file}: line ${line}: invalid CSV: a quote inside an unquoted field`);
      field += c;
      atFieldStart = false;
    }
  }
  if (quoted) throw new RnnkitError(`${file}: line ${quoteLine}: invalid CSV: quoted field opened here is never closed (truncated file?)`);
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}

/** ChnSentiCorp's CSV: header `label,review`, one review per record. */
export function parseChnSentiCorpCsv(content: string, file: string, numClasses = 2): ParsedFile {
  const records = parseCsvRecords(content, file);
  if (records.length === 0) throw new RnnkitError(`${file}: is empty`);
  checkHeader(records[0].fields, ['label', 'review'], file, ',');
  const examples: LabeledText[] = [];
  let emptyTexts = 0;
  for (const { fields, line } of records.slice(1)) {
    if (fields.length === 1 && fields[0] === '') continue; // a blank line
    if (fields.length !== 2) throw new RnnkitError(`${file}: line ${line}: expected 2 fields (label,review), got ${fields.length}`);
    const label = parseLabel(fields[0], file, line, numClasses);
    const text = fields[1].trim();
    if (text === '') emptyTexts++;
    else examples.push({ text, label, line });
  }
  if (examples.length === 0) throw new RnnkitError(`${file}: has a header but no examples`);
  return { examples, emptyTexts };
}
