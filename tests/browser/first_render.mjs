// Time the dashboard's first render with real data in headless chromium:
// performance.now() when the first dataset's statistics and k-core curve are
// on screen (<html data-first-render-ms>), for RUNS fresh tabs. The first
// tab meets an uncached server; later ones hit the result cache.
// usage: node first_render.mjs URL [RUNS]
import { Browser } from './cdp.mjs';

const [url, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 3);
const browser = await Browser.launch();
try {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitFor(`document.documentElement.dataset.state === 'ready'`, 30000, 'first render');
    times.push(Number(await page.eval('document.documentElement.dataset.firstRenderMs')));
    if (page.problems.length) throw new Error(`console errors: ${JSON.stringify(page.problems)}`);
    await page.send('Page.close').catch(() => {});
  }
  console.log(`first render (ms, first tab uncached): ${times.join(' ')}`);
} finally {
  await browser.close();
}
