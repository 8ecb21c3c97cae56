// A real, certified OpenID Connect provider (npm `oidc-provider`) for the sign-in tests.
//
//   node provider.mjs <port> <config.json>
//
// config.json: {"client_id", "client_secret", "redirect_uri", "users": {"<login>": {claims…}}}.
// The provider serves discovery, keys, authorization (PKCE required), token and userinfo on
// http://127.0.0.1:<port>. Its login page is a plain form whose only field is the login of one of
// the configured users (the tests play the user); consent is granted to the one client, as an
// organisation's own application would be. Prints "ready" when listening.

import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, configPath] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: config.client_id,
    client_secret: config.client_secret,
    redirect_uris: [config.redirect_uri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  cookies: { keys: ['salas test provider cookie key'] },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const claims = config.users[sub];
    if (!claims) return undefined;
    return { accountId: sub, async claims() { return { sub, ...claims }; } };
  },
  // The test client is the organisation's own application: consent is implied.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
});

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = `<!doctype html><title>Test provider</title><form method="post" action="/interaction/${details.uid}/login">`
      + `<input name="login" autofocus><button>Sign in</button></form>`;
    return undefined;
  }
  const form = await readForm(ctx.req);
  const login = form.get('login');
  if (!config.users[login]) {
    ctx.status = 401;
    ctx.body = 'unknown user';
    return undefined;
  }
  return provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
});

provider.listen(Number(port), '127.0.0.1', () => console.log('ready'));
