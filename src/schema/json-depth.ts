/**
 * The deepest nesting a namespace's JSON may have. Session data is a few levels deep; the limit
 * is far above any real shape and low enough that hydrating, validating and serialising (all
 * recursive) stay clear of the stack limit. Deeper data is invalid stored data, never a crash.
 */
export const MAX_NESTING_DEPTH = 64;

/**
 * Whether JSON text nests objects and arrays deeper than `limit`, by scanning the text (no
 * recursion, no allocation). Brackets inside strings do not count.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  // Each level takes an opening and a closing bracket: shorter texts cannot exceed the limit.
  if (text.length <= 2 * limit) return false;
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c)
        index++; // a backslash escapes the next character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x7b || code === 0x5b) {
      if (++depth > limit) return true;
    } else if (code === 0x7d || code === 0x5d) {
      depth--;
    }
  }
  return false;
}
