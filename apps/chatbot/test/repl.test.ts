import { PassThrough, Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { DEFAULT_DECODE_SETTINGS, textStreamer, type DecodeSettings, type Reply, type ReplyHooks } from '../src/chatbot.js';
import { detokenize } from '../src/data/pairs.js';
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

/** Streams its words like Chatbot does with beam 1 or sampling, and answers in one go with beam search. */
class StreamingBot implements Responder {
  reply(turns: readonly string[], settings: DecodeSettings, hooks: ReplyHooks = {}): Reply {
    const unknown = turns[turns.length - 1].includes('zzyzx') ? ['zzyzx'] : [];
    hooks.onStart?.(unknown);
    const tokens = ['i', "'", 'm', 'fine', ',', 'thanks', '.'];
    const text = detokenize(tokens, 'en');
    if (settings.beam === 1 || settings.temperature > 0) {
      const streamer = textStreamer('en', (piece) => hooks.onText?.(piece));
      for (const token of tokens) streamer.push(token);
      const rest = streamer.flush();
      if (rest) hooks.onText?.(rest);
    }
    return { text, tokens, score: -1, alternatives: [], unknown, contextTokens: [], attention: [] };
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

  test('with beam 1 the reply arrives word by word on the output, and the streamed line equals the reply', async () => {
    const writes: string[] = [];
    const output = new Writable({
      write(chunk, _enc, done) {
        writes.push(String(chunk));
        done();
      },
    });
    const input = new PassThrough();
    const done = runRepl({ bot: new StreamingBot(), input, output, settings: { ...DEFAULT_DECODE_SETTINGS, beam: 1 } });
    input.end('hello zzyzx\n/beam 4\nhello\n');
    expect(await done).toBe(0);
    const out = writes.join('');
    expect(out).toBe("(I did not understand: zzyzx)\nbot> i'm fine, thanks.\n(beam search, 4 beams)\nbot> i'm fine, thanks.\n");
    // Greedy: "bot> ", then several pieces of the reply before the line ends.
    const first = writes.indexOf('bot> ');
    const end = writes.findIndex((w, i) => i > first && w.endsWith('\n'));
    const pieces = writes.slice(first + 1, end + 1);
    expect(pieces.length).toBeGreaterThan(3);
    expect(pieces.join('')).toBe("i'm fine, thanks.\n");
    // Beam search: the whole reply in one write after "bot> ".
    const second = writes.lastIndexOf('bot> ');
    expect(writes.slice(second + 1)).toEqual(["i'm fine, thanks.\n"]);
  });
});

describe('textStreamer', () => {
  test('pieces always form a prefix of the detokenized reply and end equal to it', () => {
    const cases = [
      ['i', "'", 'm', 'fine', '.'],
      ['(', 'yes', ')', 'it', "'", 's', '$', '5', '!'],
      ["'", 'quoted', "'"],
      ['a', "'", "'", 'b', '?'],
    ];
    for (const tokens of cases) {
      const final = detokenize(tokens, 'en');
      let text = '';
      const streamer = textStreamer('en', (piece) => {
        text += piece;
        expect(final.startsWith(text)).toBe(true);
      });
      for (const t of tokens) streamer.push(t);
      text += streamer.flush();
      expect(text).toBe(final);
    }
    const zh: string[] = [];
    const s = textStreamer('zh', (p) => zh.push(p));
    for (const t of ['你', '好', '。']) s.push(t);
    expect(s.flush()).toBe('');
    expect(zh).toEqual(['你', '好', '。']);
  });
});
