// node oidc-provider, set up like the bench's Passport, for `python -m bench --node`.
//
//     NODE_ENV=production BENCH_CLIENT_ID=… BENCH_CLIENT_SECRET=… node server.mjs PORT
//
// One confidential client (client_secret_basic; authorization_code, refresh_token and
// client_credentials; PKCE S256 required; RS256 ID tokens), refresh tokens rotated on every
// use, introspection and userinfo on, RS256 and ES256 signing keys made at start. The
// routes are named as Passport's are, so the bench sends both servers the same requests.
// Access tokens stay in node's default format: opaque, looked up in the store.
//
// The store is node's default MemoryAdapter. By default each provider gets an LRU of 1000
// entries (two generations of them, so 1000 to 2000 live), and a code flow leaves about ten
// (session, interactions, grant, code, tokens): after some 150 flows the oldest refresh
// tokens are evicted unused ("refresh token not found"). Here the same adapter class is
// given the same LRU class, larger; nothing else about the store changes.
// Sign-in and consent go through node's devInteractions (any login, one consent form).

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';

const port = Number(process.argv[2]);
const clientId = process.env.BENCH_CLIENT_ID;
const clientSecret = process.env.BENCH_CLIENT_SECRET;
if (!port || !clientId || !clientSecret) {
  console.error('usage: BENCH_CLIENT_ID=… BENCH_CLIENT_SECRET=… node server.mjs PORT');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
// Passport's lifetimes (config/defaults.toml), so tokens are stored as long in both.
const ttl = {
  AccessToken: 600,
  AuthorizationCode: 60,
  ClientCredentials: 600,
  IdToken: 3600,
  RefreshToken: 2592000,
  Grant: 2592000,
  Session: 1209600,
  Interaction: 3600,
};

const clockTolerance = 15; // node's default, which its default adapter is made with
const store = new LRU({ maxSize: 1_000_000 });

function signingKey(kind, options, alg) {
  const { privateKey } = generateKeyPairSync(kind, options);
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, alg, use: 'sig', kid: `bench-${alg.toLowerCase()}` };
}

const account = (accountId) => ({
  accountId,
  async claims() {
    return {
      sub: accountId,
      email: `${accountId}@example.org`,
      email_verified: true,
      name: 'Bench Person',
      given_name: 'Bench',
      family_name: 'Person',
      locale: 'en',
    };
  },
});

const provider = new Provider(issuer, {
  adapter: (model) => new MemoryAdapter(model, store, clockTolerance),
  clockTolerance,
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1:9/callback'],
      id_token_signed_response_alg: 'RS256',
    },
  ],
  jwks: {
    keys: [
      signingKey('rsa', { modulusLength: 2048 }, 'RS256'),
      signingKey('ec', { namedCurve: 'P-256' }, 'ES256'),
    ],
  },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'locale'],
  },
  scopes: ['openid', 'email', 'profile', 'offline_access'],
  findAccount: (ctx, sub) => account(sub),
  features: {
    devInteractions: { enabled: true },
    introspection: {
      enabled: true,
      // A client learns about its own tokens only.
      allowedPolicy: (ctx, client, token) => token.clientId === client.clientId,
    },
    userinfo: { enabled: true },
    clientCredentials: { enabled: true },
    revocation: { enabled: false },
  },
  pkce: { required: () => true },
  rotateRefreshToken: true,
  ttl,
  routes: {
    authorization: '/authorize',
    introspection: '/introspect',
    jwks: '/jwks.json',
    userinfo: '/userinfo',
  },
});

createServer(provider.callback()).listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
