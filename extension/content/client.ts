// Messages to the service worker, typed by request.
import browser from 'webextension-polyfill';
import type { Reply, Request } from '../lib/messages.ts';

export function ask<R extends Request>(req: R): Promise<Reply<R['type']>> {
  return browser.runtime.sendMessage(req) as Promise<Reply<R['type']>>;
}
