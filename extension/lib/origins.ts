// Turning what a teacher types ("moodle.district.org", "https://lms.example:8443/")
// into origins and match patterns. Match patterns carry no port: Chrome's
// pattern without a port matches every port of that host.

/** A normalised origin, or null when the text is not a usable http(s) host. */
export function toOrigin(input: string): string | null {
  const t = input.trim();
  if (!t) return null;
  try {
    const u = new URL(/^[a-z]+:\/\//i.test(t) ? t : `https://${t}`);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
    if (!u.hostname || u.username || u.password) return null;
    return u.origin;
  } catch {
    return null;
  }
}

/** `https://moodle.district.org:8443` → `https://moodle.district.org/*`. */
export function matchPattern(origin: string, path = '/*'): string {
  const u = new URL(origin);
  return `${u.protocol}//${u.hostname}${path}`;
}

/** The SaaS LMS hosts the manifest already grants, so they never need asking for. */
export const BUILT_IN_HOSTS = [/(^|\.)instructure\.com$/, /(^|\.)schoology\.com$/, /^classroom\.google\.com$/];

export function isBuiltInHost(origin: string): boolean {
  const h = new URL(origin).hostname;
  return BUILT_IN_HOSTS.some((r) => r.test(h));
}
