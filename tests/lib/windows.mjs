// Counting requests in sliding windows: the test oracle for rate limits.

// The most of TIMES (epoch ms, any order) that fall in one half-open
// window [t, t + windowMs), over every t; with the first such window.
export function maxInWindow(times, windowMs) {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  let at = null;
  for (let i = 0, j = 0; j < t.length; j++) {
    while (t[j] - t[i] >= windowMs) i++;
    if (j - i + 1 > best) {
      best = j - i + 1;
      at = t[i];
    }
  }
  return { max: best, at };
}
