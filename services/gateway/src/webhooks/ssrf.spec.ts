import * as http from 'node:http';
import { postWebhook } from './sender';
import { SsrfError, SsrfPolicy } from './ssrf';

describe('SSRF policy', () => {
  const strict = new SsrfPolicy([]);

  it('refuses loopback, private, link-local, metadata, CGNAT, multicast and mapped addresses', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', 'fe80::1', 'fd00:ec2::254', '::ffff:127.0.0.1', '::']) {
      expect({ a, allowed: strict.addressAllowed(a) }).toEqual({ a, allowed: false });
    }
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(strict.addressAllowed(a)).toBe(true);
  });

  it('lets the allow-list through: CIDRs, addresses and host names', async () => {
    const open = new SsrfPolicy(['127.0.0.1', '10.0.0.0/8', 'jenkins.internal']);
    expect(open.addressAllowed('127.0.0.1')).toBe(true);
    expect(open.addressAllowed('127.0.0.2')).toBe(false);
    expect(open.addressAllowed('10.200.0.1')).toBe(true);
    expect(open.hostAllowListed('Jenkins.Internal.')).toBe(true);
    await expect(open.checkUrl('http://jenkins.internal:8080/hook')).resolves.toBeInstanceOf(URL);
  });

  it('checks URLs at creation: scheme, credentials, literal and resolved addresses', async () => {
    await expect(strict.checkUrl('ftp://example.com/x')).rejects.toThrow(SsrfError);
    await expect(strict.checkUrl('http://user:pw@example.com/x')).rejects.toThrow(/credentials/);
    await expect(strict.checkUrl('http://127.0.0.1:8080/x')).rejects.toThrow(/private or reserved/);
    await expect(strict.checkUrl('http://[::1]/x')).rejects.toThrow(/private or reserved/);
    await expect(strict.checkUrl('http://localhost:8080/x')).rejects.toThrow(/resolves to a private/);
  });

  it('refuses at connect time, after DNS, without ever reaching the target', async () => {
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const refused = await postWebhook(`http://localhost:${port}/x`, {}, '{}', { timeoutMs: 2000, verifyTls: true, policy: strict });
      expect(refused).toMatchObject({ statusCode: null, refused: true, error: expect.stringMatching(/SSRF/) });
      const literal = await postWebhook(`http://127.0.0.1:${port}/x`, {}, '{}', { timeoutMs: 2000, verifyTls: true, policy: strict });
      expect(literal.refused).toBe(true);
      expect(hits).toBe(0);
      const allowed = await postWebhook(`http://localhost:${port}/x`, {}, '{}', { timeoutMs: 2000, verifyTls: true, policy: new SsrfPolicy(['127.0.0.1', '::1']) });
      expect(allowed).toMatchObject({ statusCode: 200, snippet: 'ok', error: null });
      expect(hits).toBe(1);
    } finally {
      server.close();
    }
  });
});
