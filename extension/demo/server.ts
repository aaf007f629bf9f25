// Serves practice roster pages on this computer for the demo and the browser
// tests. Paths are the LMS's own (/courses/:id/users), so the extension's URL
// predicates see what they would see in the LMS.
import { createServer, type Server } from 'node:http';

export interface PracticeServer {
  port: number;
  close(): Promise<void>;
}

export async function startPracticeServer(pages: Map<string, string>, opts: { port?: number; host?: string } = {}): Promise<PracticeServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/\/$/, '');
    const html = pages.get(path);
    if (!html) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`No practice page at ${path}. Try: ${[...pages.keys()].join(', ')}`);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
