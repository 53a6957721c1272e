/** An email in the one form it is stored and compared in (lower-case, no surrounding spaces). */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase();
