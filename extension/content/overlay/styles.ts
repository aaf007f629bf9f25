// The overlay's CSS lives inside shadow roots, so nothing leaks either way.
// Every state has words as well as a colour; colours pass WCAG AA on their backgrounds.
export const BADGE_CSS = `
:host{all:initial;display:inline-block;margin-inline-start:6px;vertical-align:middle;font:12px/1.3 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
button{all:unset;box-sizing:border-box;cursor:pointer;display:inline-flex;gap:4px;align-items:center;border-radius:10px;padding:1px 8px;border:1px solid;white-space:nowrap;font:inherit}
button:focus-visible{outline:2px solid #1a56db;outline-offset:2px}
.never_logged_in{background:#fde2e1;color:#8a1c14;border-color:#e0a19b}
.not_seen{background:#ffe8d1;color:#7a3a00;border-color:#e8b384}
.chronic{background:#efe1fb;color:#5b2a86;border-color:#c7a6e6}
.absent_today{background:#fff4c2;color:#5f4900;border-color:#e3cf73}
.partial_today{background:#e6f0fb;color:#1f4f82;border-color:#9fc0e6}
.present_today{background:#dcf3e3;color:#1c6336;border-color:#94d1a8}
.no_school_today,.not_enrolled{background:#eceff1;color:#37474f;border-color:#b0bec5}
.unknown{background:#fff;color:#455a64;border-color:#90a4ae;border-style:dashed}
.stale{opacity:.75}
.flag{font-weight:600}
`;

export const PANEL_CSS = `
:host{all:initial;display:block;font:13px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933}
*{box-sizing:border-box}
.panel{border:1px solid #cbd2d9;border-radius:8px;background:#fff;padding:10px 12px;margin:8px 0}
.row{display:flex;flex-wrap:wrap;gap:6px;align-items:center}
.title{font-weight:600;margin-inline-end:6px}
.chip{all:unset;cursor:pointer;border:1px solid;border-radius:12px;padding:2px 10px;font:inherit}
.chip[aria-pressed="true"]{box-shadow:inset 0 0 0 2px currentColor;font-weight:600}
.chip:focus-visible,.btn:focus-visible,select:focus-visible,textarea:focus-visible{outline:2px solid #1a56db;outline-offset:2px}
.btn{all:unset;cursor:pointer;border:1px solid #3e4c59;border-radius:6px;padding:3px 10px;background:#f5f7fa;font:inherit}
.btn.primary{background:#1a56db;border-color:#1a56db;color:#fff}
.btn[disabled]{opacity:.5;cursor:default}
.meta{color:#52606d;font-size:12px}
.problem{border-left:4px solid #b42318;background:#fef3f2;padding:8px 10px;border-radius:4px}
.warn{border-left:4px solid #b54708;background:#fffaeb;padding:6px 10px;border-radius:4px}
.ok{border-left:4px solid #067647;background:#ecfdf3;padding:6px 10px;border-radius:4px}
.pop{position:absolute;z-index:2147483646;width:340px;max-width:90vw;border:1px solid #9aa5b1;border-radius:8px;background:#fff;box-shadow:0 6px 24px rgba(0,0,0,.18);padding:12px}
dl{display:grid;grid-template-columns:auto 1fr;gap:2px 10px;margin:8px 0}
dt{color:#52606d}dd{margin:0}
h2{font-size:14px;margin:0 0 4px}
h3{font-size:13px;margin:10px 0 4px}
ol{margin:4px 0;padding-inline-start:18px}
label{display:block;margin-top:6px}
select,textarea{font:inherit;width:100%;border:1px solid #9aa5b1;border-radius:4px;padding:4px}
textarea{min-height:52px}
.dialog{max-height:260px;overflow:auto;margin:6px 0}
${BADGE_CSS.replace(/:host\{[^}]*\}/, '').replace(/button\{[^}]*\}/, '')}
`;
