// The same value as shared/api.ts's API_PREFIX (a unit test checks), without
// pulling the schema library that module builds on into the extension's bundles.
export const API_PREFIX = '/api/v1';
