// A real OpenID Connect provider on loopback, for Vakwerk's SSO tests only. Never deploy this.
//
// Configuration (environment):
//   OIDC_PORT                       port on 127.0.0.1; 0 (the default) picks a free one
//   OIDC_CLIENT_ID                  the one registered client (required)
//   OIDC_CLIENT_SECRET              its secret (required)
//   OIDC_REDIRECT_URIS              comma-separated, matched exactly (required)
//   OIDC_POST_LOGOUT_REDIRECT_URIS  comma-separated (optional)
//   OIDC_ACCOUNTS                   JSON {"<login>": {"<claim>": value, ...}} overriding the
//                                   derived claims of chosen logins (optional)
//
// Any login name signs in with the password "secret". Claims of login L:
//   sub = L; email = L if L contains "@", else L@sso.example; email_verified = true;
//   given_name / family_name from the part of L before "@", split on . _ -
//   (one part: family_name "Tester"); name = "given family";
//   employee_number = "E" + 6 digits derived from sha256(L).
// The Python fixture (vakwerk.accounts.tests.oidc_provider.default_claims) mirrors this.
//
// Prints "ready <issuer>" on stdout once listening; everything else goes to stderr.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const PASSWORD = 'secret';
const EMAIL_DOMAIN = 'sso.example';

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} must be set`);
    process.exit(2);
  }
  return value;
}

function list(value) {
  return (value || '').split(',').map((item) => item.trim()).filter(Boolean);
}

const clientId = required('OIDC_CLIENT_ID');
const clientSecret = required('OIDC_CLIENT_SECRET');
const redirectUris = list(required('OIDC_REDIRECT_URIS'));
const postLogoutRedirectUris = list(process.env.OIDC_POST_LOGOUT_REDIRECT_URIS);
const accountOverrides = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');
const port = Number.parseInt(process.env.OIDC_PORT || '0', 10);

function capitalise(word) {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function claimsFor(login) {
  const local = login.split('@')[0];
  const parts = local.split(/[._-]+/).filter(Boolean).map(capitalise);
  const givenName = parts[0] || 'Test';
  const familyName = parts.length > 1 ? parts.slice(1).join(' ') : 'Tester';
  const digits = Number.parseInt(createHash('sha256').update(login).digest('hex').slice(0, 8), 16);
  return {
    sub: login,
    email: login.includes('@') ? login : `${login}@${EMAIL_DOMAIN}`,
    email_verified: true,
    name: `${givenName} ${familyName}`,
    given_name: givenName,
    family_name: familyName,
    employee_number: `E${String(digits % 1_000_000).padStart(6, '0')}`,
    ...(accountOverrides[login] || {}),
    // The subject is the login, whatever the overrides say.
    sub: login,
  };
}

function escape(value) {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

// Self-contained pages: no external fonts or scripts, so nothing waits on the network.
function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}
label{display:block;margin-top:1rem}input{display:block;width:100%;box-sizing:border-box;padding:.4rem}
button{margin-top:1rem;padding:.5rem 1rem}.error{color:#a00}
</style>
</head>
<body>
<main>
<h1>${escape(title)}</h1>
${body}
</main>
</body>
</html>`;
}

function loginPage(uid, { loginHint = '', error = '' } = {}) {
  const message = error ? `<p class="error" role="alert">${escape(error)}</p>` : '';
  return page('Test SSO sign-in', `${message}
<form method="post" action="/interaction/${escape(uid)}/login" autocomplete="off">
<label for="login">Username</label>
<input id="login" name="login" type="text" required autofocus value="${escape(loginHint)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" required>
<button type="submit">Sign in</button>
</form>
<p><a href="/interaction/${escape(uid)}/abort">Cancel</a></p>`);
}

function consentPage(uid, clientName, scopes) {
  const items = scopes.map((scope) => `<li>${escape(scope)}</li>`).join('');
  return page('Test SSO consent', `<p>${escape(clientName)} asks for:</p>
<ul>${items}</ul>
<form method="post" action="/interaction/${escape(uid)}/confirm">
<button type="submit">Allow</button>
</form>
<p><a href="/interaction/${escape(uid)}/abort">Deny</a></p>`);
}

const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const configuration = {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    client_name: 'Vakwerk',
    redirect_uris: redirectUris,
    post_logout_redirect_uris: postLogoutRedirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    // oidc-provider accepts client_secret_post as well for a client registered with
    // client_secret_basic (and vice versa): both carry the same shared secret.
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [{ ...jwk, kid: 'vakwerk-test', use: 'sig', alg: 'RS256' }] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'employee_number'],
  },
  // Put the scope's claims in the ID token too, not only behind the userinfo endpoint.
  conformIdTokenClaims: false,
  // oidc-provider 8 requires PKCE of every client by default; allow confidential clients without.
  pkce: { methods: ['S256'], required: () => false },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page('Test SSO sign-out', `${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Test SSO signed out', '<p>You are signed out.</p>');
      },
    },
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    const rows = Object.entries(out)
      .map(([key, value]) => `<p><strong>${escape(key)}</strong>: ${escape(value)}</p>`)
      .join('');
    ctx.body = page('Test SSO error', rows);
  },
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return claimsFor(sub);
      },
    };
  },
  clientBasedCORS: () => false,
};

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) {
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sendHtml(res, status, html) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(html);
}

async function interaction(provider, req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    sendHtml(res, 400, page('Test SSO error', '<p>Interaction mismatch.</p>'));
    return;
  }
  const { prompt, params, session, grantId } = details;

  if (action === 'abort' && req.method === 'GET') {
    await provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
    return;
  }

  if (action === '' && req.method === 'GET') {
    if (prompt.name === 'login') {
      sendHtml(res, 200, loginPage(uid, { loginHint: params.login_hint || '' }));
    } else if (prompt.name === 'consent') {
      const client = await provider.Client.find(params.client_id);
      const scopes = String(params.scope || '').split(' ').filter(Boolean);
      sendHtml(res, 200, consentPage(uid, client?.clientName || params.client_id, scopes));
    } else {
      sendHtml(res, 501, page('Test SSO error', `<p>Prompt ${escape(prompt.name)} unsupported.</p>`));
    }
    return;
  }

  if (action === 'login' && req.method === 'POST' && prompt.name === 'login') {
    const form = await readForm(req);
    const login = (form.get('login') || '').trim();
    if (!login || form.get('password') !== PASSWORD) {
      sendHtml(res, 200, loginPage(uid, { loginHint: login, error: 'Wrong username or password.' }));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: login } }, {
      mergeWithLastSubmission: false,
    });
    return;
  }

  if (action === 'confirm' && req.method === 'POST' && prompt.name === 'consent') {
    await readForm(req);
    const grant = grantId
      ? await provider.Grant.find(grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
    if (missingOIDCScope) {
      grant.addOIDCScope(missingOIDCScope.join(' '));
    }
    if (missingOIDCClaims) {
      grant.addOIDCClaims(missingOIDCClaims);
    }
    if (missingResourceScopes) {
      for (const [indicator, scopes] of Object.entries(missingResourceScopes)) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
    }
    await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, {
      mergeWithLastSubmission: true,
    });
    return;
  }

  sendHtml(res, 400, page('Test SSO error', '<p>Unexpected request for this step.</p>'));
}

let provider;
let handle;
const interactionPath = /^\/interaction\/([^/?]+)(?:\/(login|confirm|abort))?\/?(?:\?.*)?$/;

const server = createServer((req, res) => {
  res.on('finish', () => console.error(`${req.method} ${req.url} -> ${res.statusCode}`));
  const match = interactionPath.exec(req.url || '');
  if (!match) {
    handle(req, res);
    return;
  }
  interaction(provider, req, res, match[1], match[2] || '').catch((error) => {
    console.error(error);
    if (!res.headersSent) {
      const text = `${error.name || 'Error'}: ${error.error_description || error.message}`;
      sendHtml(res, error.statusCode || 500, page('Test SSO error', `<p>${escape(text)}</p>`));
    } else {
      res.end();
    }
  });
});

server.listen(port, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  provider = new Provider(issuer, configuration);
  provider.on('server_error', (ctx, error) => console.error('server_error', error));
  handle = provider.callback();
  process.stdout.write(`ready ${issuer}\n`);
});

function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
