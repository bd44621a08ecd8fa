import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { BlockList, isIP, LookupFunction } from 'node:net';

/**
 * SSRF policy for webhook targets: loopback, private, carrier-grade NAT,
 * link-local (and so cloud metadata at 169.254.169.254 / fd00:ec2::254),
 * multicast, reserved and documentation addresses are refused unless the
 * allow-list (CAIRN_WEBHOOK_ALLOW_PRIVATE: CIDRs, addresses, host names)
 * permits them. The check runs when a connection is made, on the addresses
 * DNS returned for that very connection (a custom `lookup`), so a name that
 * resolves elsewhere later (DNS rebinding) is caught, not only at creation.
 */
const BLOCKED_V4: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const BLOCKED_V6: [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
];

export class SsrfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SsrfError';
  }
}

/** `::ffff:a.b.c.d` (IPv4-mapped) is judged as a.b.c.d. */
function normalise(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return { address: mapped[1], family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

export class SsrfPolicy {
  private readonly blocked = new BlockList();
  private readonly allowed = new BlockList();
  private readonly allowedHosts = new Set<string>();

  constructor(allowList: readonly string[]) {
    for (const [net, bits] of BLOCKED_V4) this.blocked.addSubnet(net, bits, 'ipv4');
    for (const [net, bits] of BLOCKED_V6) this.blocked.addSubnet(net, bits, 'ipv6');
    for (const entry of allowList) {
      const [address = '', bits] = entry.split('/');
      const family = isIP(address);
      if (family !== 0 && bits !== undefined) this.allowed.addSubnet(address, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
      else if (family !== 0) this.allowed.addAddress(address, family === 4 ? 'ipv4' : 'ipv6');
      else this.allowedHosts.add(entry.toLowerCase().replace(/\.$/, ''));
    }
  }

  /** Whether a connection to this address is allowed (public, or allow-listed). */
  addressAllowed(raw: string): boolean {
    const { address, family } = normalise(raw);
    if (isIP(address) === 0) return false;
    if (this.allowed.check(address, family)) return true;
    return !this.blocked.check(address, family);
  }

  hostAllowListed(host: string): boolean {
    return this.allowedHosts.has(host.toLowerCase().replace(/\.$/, ''));
  }

  /** For http(s).request: resolves, then refuses the connection unless an allowed address is left. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = (Array.isArray(addresses) ? addresses : [addresses]);
      const usable = this.hostAllowListed(hostname) ? list : list.filter((a) => this.addressAllowed(a.address));
      if (usable.length === 0) {
        const shown = list.map((a) => a.address).join(', ');
        return callback(new SsrfError(`webhook target ${hostname} resolves to a private or reserved address (${shown}); refused by the SSRF policy`), '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
      const first = usable[0]!;
      return callback(null, first.address, first.family);
    });
  };

  /** Checks a URL before it is stored: scheme, and a literal or resolvable host that is allowed. */
  async checkUrl(raw: string): Promise<URL> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new SsrfError(`Invalid webhook URL '${raw.slice(0, 200)}'`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SsrfError('Webhook URLs must use http or https');
    if (url.username || url.password) throw new SsrfError('Webhook URLs must not carry credentials');
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0) {
      this.checkLiteral(host);
      return url;
    }
    if (this.hostAllowListed(host)) return url;
    await new Promise<void>((resolve, reject) =>
      this.lookup(host, {}, (err) => (err && err instanceof SsrfError ? reject(err) : resolve())),
    );
    return url;
  }

  /** An IP literal in a URL never goes through DNS: check it directly. */
  checkLiteral(host: string): void {
    if (!this.addressAllowed(host)) {
      throw new SsrfError(`webhook target ${host} is a private or reserved address; refused by the SSRF policy (CAIRN_WEBHOOK_ALLOW_PRIVATE)`);
    }
  }
}
