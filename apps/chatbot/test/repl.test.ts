import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { DEFAULT_DECODE_SETTINGS, type DecodeSettings, type Reply } from '../src/chatbot.js';
import { runRepl, type Responder } from '../src/repl.js';

/** Records what the REPL asks for; replies with a count so each answer is distinguishable. */
class RecordingBot implements Responder {
  calls: { turns: string[]; settings: DecodeSettings }[] = [];
  reply(turns: readonly string[], settings: DecodeSettings): Reply {
    this.calls.push({ turns: [...turns], settings: { ...settings } });
    const unknown = turns[turns.length - 1].includes('zzyzx') ? ['zzyzx'] : [];
    return { text: `answer ${this.calls.length}`, tokens: [], score: -1, alternatives: [], unknown, contextTokens: [], attention: [] };
  }
}

async function session(lines: string, bot: Responder, endInput = true): Promise<{ code: number; out: string }> {
  const input = new PassThrough();
  const output = new PassThrough();
  let out = '';
  output.on('data', (d) => (out += String(d)));
  const done = runRepl({ bot, input, output, settings: { ...DEFAULT_DECODE_SETTINGS } });
  input.write(lines);
  if (endInput) input.end();
  const code = await done;
  return { code, out };
}

describe('chat REPL on piped streams', () => {
  test('keeps history, /reset clears it, /quit ends with code 0 and ignores later lines', async () => {
    const bot = new RecordingBot();
    const { code, out } = await session('hello\nhow are you?\n/reset\nwhat is ai?\n/quit\nnever read\n', bot, false);
    expect(code).toBe(0);
    expect(bot.calls.map((c) => c.turns)).toEqual([
      ['hello'],
      ['hello', 'answer 1', 'how are you?'],
      ['what is ai?'],
    ]);
    expect(out).toContain('bot> answer 1\n');
    expect(out).toContain('(conversation forgotten)');
    expect(out).toContain('bot> answer 3\n');
    expect(out).not.toContain('answer 4');
  });

  test('/temp and /beam change the decoding settings; bad values are refused without crashing', async () => {
    const bot = new RecordingBot();
    const { out } = await session('/temp 0.7\nhi\n/beam 3\nhi\n/temp abc\n/beam 0\n/nope\nhi\n', bot);
    expect(bot.calls.map((c) => [c.settings.temperature, c.settings.beam])).toEqual([
      [0.7, DEFAULT_DECODE_SETTINGS.beam],
      [0, 3],
      [0, 3],
    ]);
    expect(out).toContain('(sampling at temperature 0.7)');
    expect(out).toContain('(beam search, 3 beams)');
    expect(out).toContain('(usage: /temp X');
    expect(out).toContain('(usage: /beam N');
    expect(out).toContain('(unknown command /nope');
  });

  test('end of input (Ctrl-D) ends the chat cleanly, and unknown words are reported but still answered', async () => {
    const bot = new RecordingBot();
    const { code, out } = await session('tell me about zzyzx\n', bot);
    expect(code).toBe(0);
    expect(out).toBe('(I did not understand: zzyzx)\nbot> answer 1\n');
  });
});
