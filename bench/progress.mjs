// Progress of a long run on stderr (stdout keeps the results): what runs now, how far the run is,
// and an estimate of the time left from the pace so far.

function duration(seconds) {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s` : `${s} s`;
}

/**
 * `total` units of work (weights: a unit may count more than one). `step(label, weight)` reports
 * the unit about to start; the estimate is elapsed / done × remaining, or `firstGuessSeconds`
 * before anything is done.
 */
export function progress(tag, total, firstGuessSeconds) {
  const started = Date.now();
  let done = 0;
  return {
    step(label, weight = 1) {
      const elapsed = (Date.now() - started) / 1_000;
      const left = done > 0 ? (elapsed / done) * (total - done) : firstGuessSeconds;
      process.stderr.write(
        `[${tag} ${Math.round((done / total) * 100)}%] ${label} · ${duration(elapsed)} elapsed, ~${duration(left)} left\n`,
      );
      done += weight;
    },
    finish() {
      process.stderr.write(`[${tag}] done in ${duration((Date.now() - started) / 1_000)}\n`);
    },
  };
}
