// A real OpenID provider for scripts/idp-test.sh: node-oidc-provider (not written here),
// issuing client-credentials JWT access tokens (RFC 9068 shape) for one resource, signed with
// a fresh RSA key whose kid is given on the command line, so a restart with another kid is a
// key rotation. Every request for the JWKS prints one "JWKS_FETCH" line (for counting).
//
// Usage: node provider.mjs PORT KID [JWKS_DELAY_MS]   (a slow identity provider: the JWKS
// answer is held back that long)
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const [port, kid, delay] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const resource = 'https://api.example';
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'svc',
    client_secret: 'svc-secret-0123456789abcdef0123456789',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    scope: 'orders:read orders:write',
  }],
  jwks: { keys: [jwk] },
  scopes: ['orders:read', 'orders:write'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'orders:read orders:write',
        audience: resource,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});
provider.use(async (ctx, next) => {
  if (ctx.path === '/jwks') {
    console.log(`JWKS_FETCH ${kid}`);
    if (delay) await new Promise((resolve) => setTimeout(resolve, Number(delay)));
  }
  await next();
});
provider.listen(Number(port), '127.0.0.1', () => console.log(`READY ${issuer} ${kid}`));
