/** An email in the one form it is stored and compared in (lower-case, no surrounding spaces). */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

/** Text to be found inside a LIKE/ILIKE pattern as it is: its `\`, `%` and `_` escaped (`%${escapeLike(term)}%`). */
export const escapeLike = (term: string): string => term.replace(/[\\%_]/g, (c) => `\\${c}`);
