// The extension's manifest. Least privilege: the SaaS LMS hosts are named;
// a district's own LMS and its plugin server are optional hosts the teacher
// grants from the options page (or an admin through managed settings plus
// the options page), and scripts for them are registered at run time.
import { defineManifest } from '@crxjs/vite-plugin';

/** Loopback hosts, for a plugin running on this computer (`npm start`, the demo, the tests). The store package drops them. */
export const LOOPBACK_HOSTS = ['http://127.0.0.1/*', 'http://localhost/*'];

export const SAAS_LMS_MATCHES = ['*://*.instructure.com/*', '*://*.schoology.com/*', 'https://classroom.google.com/*'];

export default defineManifest({
  manifest_version: 3,
  name: 'RosterLens for teachers',
  short_name: 'RosterLens',
  version: '0.1.0',
  description: 'Attendance and engagement badges on your LMS roster, and one-click outreach flags.',
  minimum_chrome_version: '120',
  icons: { '16': 'extension/icons/icon-16.png', '48': 'extension/icons/icon-48.png', '128': 'extension/icons/icon-128.png' },
  action: { default_popup: 'extension/popup/index.html', default_title: 'RosterLens' },
  options_ui: { page: 'extension/options/index.html', open_in_tab: true },
  background: { service_worker: 'extension/background/main.ts', type: 'module' },
  permissions: ['storage', 'scripting', 'alarms'],
  host_permissions: [...SAAS_LMS_MATCHES, ...LOOPBACK_HOSTS],
  optional_host_permissions: ['https://*/*', 'http://*/*'],
  content_scripts: [
    { matches: SAAS_LMS_MATCHES, js: ['extension/content/roster.iife.ts'], run_at: 'document_idle' },
    { matches: LOOPBACK_HOSTS.map((h) => h.replace('/*', '/lti/launch*')), js: ['extension/content/pair.iife.ts'], run_at: 'document_idle' },
  ],
  storage: { managed_schema: 'extension/managed-schema.json' },
});
