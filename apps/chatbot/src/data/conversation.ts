/**
 * A conversation as every reader returns it: the turns in order, plus where it came from so that later stages
 * (filters, error messages, sample exchanges) can point back at the source file and line.
 */
export interface Conversation {
  turns: string[];
  file: string;
  line: number;
}

/** An entry a reader could parse but not use (e.g. a conversation that is a single string); reported, not fatal. */
export interface SkippedEntry {
  file: string;
  line: number;
  reason: string;
}

export interface ReadResult {
  conversations: Conversation[];
  skipped: SkippedEntry[];
}
