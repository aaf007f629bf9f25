// The beacon is configured by its own script tag:
//   <script src="https://plugin.example.org/beacon.js" data-key="rl_…" async></script>
// data-key     the tenant's beacon key (or ?k= on the src, for loaders that cannot set attributes)
// data-plugin  the plugin's origin, when not the script's own
// data-idle    idle timeout in seconds (120)
// data-beat    heartbeat interval in seconds (60)
// data-lms     canvas | moodle | schoology | classroom, to skip detection
export interface Config {
  url: string;
  idleMs: number;
  beatMs: number;
  lms: string | undefined;
}

export function readConfig(s: HTMLScriptElement, base: string): Config | null {
  const src = new URL(s.src, base);
  const d = s.dataset;
  const key = d.key || src.searchParams.get('k');
  if (!key) return null;
  const plugin = (d.plugin || src.origin).replace(/\/+$/, '');
  return {
    url: `${plugin}/api/v1/beacon?k=${encodeURIComponent(key)}`,
    idleMs: (Number(d.idle) || 120) * 1000,
    beatMs: (Number(d.beat) || 60) * 1000,
    lms: d.lms,
  };
}
