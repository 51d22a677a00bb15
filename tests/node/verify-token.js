#!/usr/bin/env node
// Judges a Twilio Access Token the daemon minted by Twilio's own helper
// library (npm twilio, and the jsonwebtoken it signs with):
//
//   node verify-token.js TOKEN API_KEY_SECRET ACCOUNT_SID API_KEY_SID IDENTITY [APP_SID]
//
// The signature must verify (HS256 only) under the secret and no other; the
// header must be Twilio's ({"typ": "JWT", "alg": "HS256", "cty":
// "twilio-fpa;v=1"}); the claims must be those twilio.jwt.AccessToken with a
// VoiceGrant makes for the same key, account and identity (iss, sub, jti,
// grants), good for an hour from now. Prints the decoded token; exits 1 with
// the reason on the first difference.
"use strict";
const assert = require("node:assert/strict");
const jwt = require("jsonwebtoken");
const twilio = require("twilio");

const [token, secret, account, keySid, identity, appSid] = process.argv.slice(2);
if (!identity) {
	console.error("usage: verify-token.js TOKEN SECRET ACCOUNT_SID KEY_SID IDENTITY [APP_SID]");
	process.exit(2);
}

try {
	const ours = jwt.verify(token, secret, { algorithms: ["HS256"], complete: true });
	assert.throws(() => jwt.verify(token, secret + "x", { algorithms: ["HS256"] }),
		/invalid signature/, "a wrong secret must not verify");
	assert.deepEqual(ours.header, { typ: "JWT", alg: "HS256", cty: "twilio-fpa;v=1" });

	// What Twilio's library makes for the same grant.
	const AccessToken = twilio.jwt.AccessToken;
	const ref = new AccessToken(account, keySid, secret, { identity, ttl: 3600 });
	ref.addGrant(new AccessToken.VoiceGrant({ incomingAllow: true,
		outgoingApplicationSid: appSid || undefined }));
	const theirs = jwt.verify(ref.toJwt(), secret, { algorithms: ["HS256"], complete: true });
	assert.deepEqual(ours.header, theirs.header, "the header is the library's");

	const p = ours.payload, q = theirs.payload;
	assert.deepEqual(p.grants, q.grants, "the grants are the library's");
	assert.equal(p.iss, q.iss);
	assert.equal(p.sub, q.sub);
	assert.equal(p.jti, `${keySid}-${p.iat}`, "jti is <key sid>-<iat>");
	assert.equal(p.exp - p.iat, q.exp - q.iat, "good for as long (an hour)");
	const now = Math.floor(Date.now() / 1000);
	assert.ok(Math.abs(p.iat - now) <= 300, `issued now (${p.iat}, ${now})`);
	assert.ok(p.nbf === undefined || p.nbf <= now, "valid already");
	const extra = Object.keys(p).filter((k) => !(k in q) && k !== "nbf");
	assert.deepEqual(extra, [], "no claims the library does not make");
	console.log(JSON.stringify(ours));
} catch (e) {
	console.error(`verify-token: ${e.message}`);
	process.exit(1);
}
