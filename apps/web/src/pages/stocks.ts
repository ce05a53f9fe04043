import { lineChartSvg } from '@rnnkit/core/charts';
import { describeBand, type BandInfo } from '@rnnkit/stocks/band';
import { byId, el, startPage } from '../page.js';

// Stock forecast: a ticker's recent prices, the model's next closes with their band (a quantile model's own 10% and 90%
// quantiles, or a point model's walk-forward error percentiles; the label says which), and the naive forecast
// (tomorrow's close = today's) that any forecaster must beat.

interface PriceRows {
  ticker: string;
  dates: string[];
  opens: number[];
  highs: number[];
  lows: number[];
  closes: number[];
  volumes: number[];
}

interface ForecastOutput {
  ticker: string;
  lastClose: number;
  lastDate: string | null;
  days: { day: number; close: number; low: number; high: number }[];
  band: BandInfo;
}

/** Closes shown before the forecast. */
const SHOWN_DAYS = 90;

const main = byId('app');
const ticker = el('select', { id: 'ticker' });
const forecast = el('button', { id: 'forecast', textContent: 'Forecast', disabled: true });
const chart = el('div', { id: 'chart', className: 'figure' });
const table = el('table', { id: 'forecast-table' });
const summary = el('p', { id: 'forecast-summary', className: 'status' });
main.append(el('p', {}, el('label', {}, 'ticker', ticker), forecast), summary, chart, table);

/** The next `n` weekdays after `date` (exchange holidays are not known here, so a forecast day may be one). */
function nextWeekdays(date: string, n: number): string[] {
  const out: string[] = [];
  const d = new Date(`${date}T00:00:00Z`);
  while (out.length < n) {
    d.setUTCDate(d.getUTCDate() + 1);
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) out.push(d.toISOString().slice(0, 10));
  }
  return out;
}

const page = await startPage('stocks.html', 'A GRU reads the last weeks of a stock’s prices and forecasts the next closes with a 10%–90% band: the model’s own quantiles (pinball-loss model) or the percentiles of its walk-forward errors (point model).');
const prices = (await fetch('./data/stocks.json').then((r) => {
  if (!r.ok) throw new Error(`data/stocks.json: HTTP ${r.status}; build the site with npm run web`);
  return r.json();
})) as { series: PriceRows[] };
const trained = Object.keys((page.card.extras?.tickers as Record<string, unknown> | undefined) ?? {});
const available = prices.series.filter((s) => trained.includes(s.ticker));
if (available.length === 0) page.fail(`data/stocks.json has no prices for the tickers this model was trained on (${trained.join(', ')})`);
for (const s of available) ticker.append(el('option', { value: s.ticker, textContent: s.ticker }));

async function run(): Promise<void> {
  const series = available.find((s) => s.ticker === ticker.value);
  if (!series) return;
  forecast.disabled = true;
  try {
    const { ticker: name, ...rows } = series;
    const { output, ms } = await page.client.predict<ForecastOutput>({ ticker: name, ...rows });
    const recent = series.dates.slice(-SHOWN_DAYS);
    const future = nextWeekdays(output.lastDate ?? recent[recent.length - 1], output.days.length);
    const joined = [recent[recent.length - 1], ...future];
    const withLast = (values: number[]) => [output.lastClose, ...values];
    chart.innerHTML = lineChartSvg({
      title: `${name}: the last ${SHOWN_DAYS} closes and the next ${output.days.length}`,
      yLabel: 'close (USD)',
      series: [
        { name: 'close', x: recent, y: series.closes.slice(-SHOWN_DAYS), color: '#1d3557' },
        { name: 'forecast', x: joined, y: withLast(output.days.map((d) => d.close)), color: '#e76f51' },
        { name: `${output.band.percentiles[0]}th pct`, x: joined, y: withLast(output.days.map((d) => d.low)), color: '#f4a261', dashed: true },
        { name: `${output.band.percentiles[1]}th pct`, x: joined, y: withLast(output.days.map((d) => d.high)), color: '#f4a261', dashed: true },
        { name: 'naive (last close)', x: joined, y: joined.map(() => output.lastClose), color: '#8d99ae', dashed: true },
      ],
    });
    table.replaceChildren(
      el('tr', {}, ...['day', 'date', 'forecast', 'band low', 'band high', 'naive'].map((h) => el('th', { textContent: h }))),
      ...output.days.map((d, i) =>
        el('tr', {}, ...[String(d.day), future[i], d.close.toFixed(2), d.low.toFixed(2), d.high.toFixed(2), output.lastClose.toFixed(2)].map((v) => el('td', { textContent: v }))),
      ),
    );
    summary.textContent = `last close ${output.lastClose.toFixed(2)} on ${output.lastDate ?? 'the last day'}; ${describeBand(output.band)}; ${ms.toFixed(1)} ms on ${page.info.backend}`;
    page.status('ready');
  } catch (err) {
    page.fail(err);
  } finally {
    forecast.disabled = false;
  }
}

forecast.disabled = available.length === 0;
forecast.onclick = () => void run();
ticker.onchange = () => void run();
